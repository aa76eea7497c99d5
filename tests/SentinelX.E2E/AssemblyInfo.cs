// Test classes run side by side, a few at a time: most of an end-to-end test is waiting for
// processes, sockets and the browser, which overlaps well on a 2-core machine. Classes whose
// assertions measure CPU, bandwidth or system-wide counters join SerialCollection and run alone.
[assembly: Xunit.CollectionBehavior(MaxParallelThreads = 3)]
[assembly: Xunit.TestCollectionOrderer("SentinelX.E2E.Infrastructure.LongestFirstOrderer", "SentinelX.E2E")]
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
