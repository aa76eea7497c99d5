// The agent reads /proc and /sys and uses POSIX file modes: it runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
