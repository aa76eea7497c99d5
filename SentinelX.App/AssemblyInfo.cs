// The Core runs on Linux (and is tested there); key files rely on Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
