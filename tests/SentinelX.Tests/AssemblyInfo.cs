// SentinelX runs on Linux; the tests read /proc and use Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
