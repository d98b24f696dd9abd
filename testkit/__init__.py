"""What the tests and the benchmarks share: driving the app in headless Chromium, spoken test audio,
the Stoic pack built from its sources, a loopback file server and an in-process OpenAI-compatible
server (the one stand-in allowed, for a cloud model that cannot exist here).

It lives outside tests/ so that benchmarks depend on nothing in tests/; nothing in app/ or engine/
imports it.
"""
