// Live updates: the server says over server-sent events when what the page shows has
// changed; the page then fetches its live part again and swaps it in. Re-drive forms
// send the operator back to where they were.
(() => {
  const live = document.getElementById("live");
  const stream = document.body.dataset.stream;
  const keepBack = () => {
    for (const input of document.querySelectorAll('input[name="back"]')) {
      input.value = location.pathname + location.search;
    }
  };
  keepBack();
  if (!live || !stream || !window.EventSource) return;
  let busy = false;
  const refresh = async () => {
    if (busy) return;
    busy = true;
    try {
      const u = new URL(location.href);
      u.searchParams.set("fragment", "1");
      const r = await fetch(u, { cache: "no-store", credentials: "same-origin" });
      if (r.ok) {
        live.innerHTML = await r.text();
        keepBack();
        document.body.dataset.refreshed = String(Date.now());
      }
    } finally {
      busy = false;
    }
  };
  const es = new EventSource(stream);
  es.addEventListener("change", refresh);
})();
