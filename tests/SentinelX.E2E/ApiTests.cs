using System.Diagnostics.CodeAnalysis;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>The CLI's output rules against the real binary (the REST contract is tested in-process, tests/SentinelX.Tests/Api).</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ApiTests : IAsyncLifetime
{
    private readonly CoreInstance _core = new();

    public Task InitializeAsync() => _core.StartAsync();

    public Task DisposeAsync() => _core.DisposeAsync().AsTask();

    [Fact]
    public async Task Cli_prints_only_secrets_on_stdout()
    {
        var (code, stdout, stderr) = await _core.CliAsync("token", "create", "--name", "script", "--role", "viewer");
        var (badCode, badOut, badErr) = await _core.CliAsync("token", "create", "--name", "script", "--role", "superuser");

        code.Should().Be(0);
        stdout.Trim().Should().MatchRegex("^sxt_[a-z2-7]+$");
        stderr.Should().Contain("shown only this once");
        badCode.Should().NotBe(0);
        badOut.Should().BeEmpty();
        badErr.Should().Contain("superuser");
    }
}
