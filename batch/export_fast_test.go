package batch

// DisableFastPath makes tr translate every frame through the general
// pipeline while its configuration is cfg (for the differential tests of
// fast.go).
func DisableFastPath(tr *Translator, cfg *Config) { tr.fc = fastCfg{cfg: cfg} }

// FastPathOn reports whether the fast path applies to cfg.
func FastPathOn(cfg *Config) bool {
	var fc fastCfg
	fc.build(cfg)
	return fc.on
}

// TryFastPath runs only the fast path on f under cfg and reports whether
// it took the frame.
func TryFastPath(tr *Translator, cfg *Config, f *Frame) bool {
	tr.cfg = cfg
	if tr.fc.cfg != cfg {
		tr.fc.build(cfg)
	}
	return tr.fc.on && tr.fastFrame(f)
}
