using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using SentinelX.App;
using Xunit;

namespace SentinelX.Tests.Hosting;

/// <summary>
/// Builds a Core in the test process the way <c>sentinelx serve</c> does. The Core makes the process
/// umask 077 while it prepares its data directory; tests that check the modes of files a Node creates
/// share this process, so the test host's umask comes back once the Core is built, and every class
/// that builds one runs in <see cref="CoreInProcess"/>, after the parallel tests.
/// </summary>
public static class InProcessCore
{
    public static async Task<WebApplication> CreateAsync(string dataDir, Action<WebApplicationBuilder>? configure = null)
    {
        var before = umask(0x3F);
        try
        {
            return await CoreHost.CreateAsync(dataDir, "http://127.0.0.1:0", configure: configure);
        }
        finally
        {
            _ = umask(before);
        }
    }

    [DllImport("libc")]
    private static extern uint umask(uint mask);
}

/// <summary>Classes that build a Core in this process run one at a time, after the parallel tests (see <see cref="InProcessCore"/>).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CoreInProcess
{
    public const string Name = "Core in process";
}
