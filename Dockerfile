# One image with the three saasbridge programs; compose picks the command.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/worker ./worker \
 && CGO_ENABLED=0 go build -trimpath -o /out/starter ./starter \
 && CGO_ENABLED=0 go build -trimpath -o /out/sandbox ./internal/sandbox/cmd/sandbox

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
# The token store's SQLite file lives on a volume.
WORKDIR /data
USER nonroot
