package actionstepsim

// newKinds builds the resource registry: every resource the simulator
// serves, by name.
func newKinds() map[string]*kind {
	kinds := map[string]*kind{}
	for _, k := range []*kind{
		participantsKind(), participantTypesKind(), defaultTypesKind(), actionTypesKind(),
		actionsKind(), actionCreateKind(), actionParticipantsKind(),
		dataCollectionsKind(), dataFieldsKind(), dataRecordsKind(), dataValuesKind(),
		fileNotesKind(), contactNotesKind(), tasksKind(), usersKind(), resthooksKind(),
	} {
		kinds[k.name] = k
	}
	return kinds
}
