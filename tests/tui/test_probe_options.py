"""The probe settings the palette steps through. Pure."""

from __future__ import annotations

from kpath.probe.run import ProbeSettings
from kpath.tui.probe_options import PROBE_OPTIONS, entry, next_value, stepped


def test_each_option_steps_through_valid_settings_and_comes_back() -> None:
    for option in PROBE_OPTIONS:
        settings = ProbeSettings()
        seen = [getattr(settings, option.field)]
        for _ in option.values:
            settings = stepped(option, settings)
            settings.check()  # every value is one `kpath probe` accepts
            seen.append(getattr(settings, option.field))
        assert seen[0] == seen[-1] and set(seen) == set(option.values)
        assert option.help


def test_a_value_off_the_list_steps_to_the_first() -> None:
    (timeout, *_) = PROBE_OPTIONS
    assert next_value(timeout, 7.5) == timeout.values[0]
    assert entry(timeout, ProbeSettings(timeout=7.5)) == "Probe timeout: 7.5 s (choose: 1 s)"
