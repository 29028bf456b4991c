package session

// setInterest tells the watcher what its poller of silent mounts must stat
// after each graph load: the files the targets' builds read (package
// files, embeds, module files), the restart globs, the generator inputs
// and the env files.
func (s *Session) setInterest() {
	var paths []string
	for i := range s.targets {
		paths = append(paths, s.graph.Inputs(i)...)
	}
	globs := append(append([]string{}, s.cfg.Restart...), s.watchInclude()...)
	for _, g := range s.cfg.Generate {
		globs = append(globs, g.Inputs...)
	}
	s.watcher.SetInterest(paths, globs)
}
