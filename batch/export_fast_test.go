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
