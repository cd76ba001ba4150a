"""Crisis Response Dashboard: a public view of how a city answers 911 calls about people in crisis."""

__version__ = "0.1.0"
