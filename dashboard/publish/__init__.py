"""The release build and its privacy rules, run offline (never by the web process): ``release``
(build and publish), ``validate`` (re-check a finished release), ``privacy`` (k-anonymous
rows), ``cubes`` and ``disclosure`` (suppressed cubes and their audit), ``scratch``
(private scratch folders).
"""
