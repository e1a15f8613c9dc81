"""THE SUITE: the pytest plugin, the plug-in contracts (adapters), Hypothesis
strategies and state machines, history checkers and reports.

The suite reaches an implementation only through an adapter loaded by name
(``--impl``); it never imports ``impl`` directly (DESIGN.md).
"""
