// End-to-end tests start real processes and measure real CPU; running them one at a time keeps
// measurements honest on a 2-core machine.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
