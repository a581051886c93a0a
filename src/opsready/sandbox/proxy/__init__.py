"""TCP fault proxies for the sandbox: pass-through, or latency, bandwidth, reset, blackhole and down toxics."""
