using System.Diagnostics;
using FluentAssertions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Install;
using Xunit;

namespace SentinelX.Tests.Install;

public sealed class InstallCommandTests
{
#pragma warning disable CA2000 // the settings live as long as the command, that is one test; without a database they never take their save lock
    private static InstallCommand Command(string? publicUrl = null) =>
        new(Options.Create(new CorePublicOptions { PublicUrl = publicUrl }), SentinelX.Tests.Settings.TestSettings.NothingSaved());
#pragma warning restore CA2000

    private static HttpRequest Request(string scheme, string? host, string pathBase = "")
    {
        var http = new DefaultHttpContext();
        http.Request.Scheme = scheme;
        if (host is not null) http.Request.Host = new HostString(host);
        http.Request.PathBase = pathBase;
        return http.Request;
    }

    [Fact]
    public void The_command_checks_the_script_passes_the_key_in_the_environment_and_lists_what_is_allowed()
    {
        var sha = new string('a', 64);
        var line = InstallCommand.Build("http://core.example:5080", "sxk_AbC-123_x", sha, ["files", "exec"]);

        line.Should().Be("f=$(mktemp) && { curl -fsSL http://core.example:5080/install.sh -o \"$f\" && " +
                         $"echo \"{sha}  $f\" | sha256sum -c --quiet && " +
                         "SENTINELX_KEY=sxk_AbC-123_x $([ \"$(id -u)\" = 0 ] || echo sudo --preserve-env=SENTINELX_KEY) bash \"$f\" --allow exec,files; " +
                         "s=$?; rm -f \"$f\"; [ $s = 0 ]; }");
        line.Should().NotContain("--key", "an argument is visible to every local user in ps");
        InstallCommand.Build("http://core.example:5080", "sxk_k", sha, []).Should().NotContain("--allow", "nothing ticked installs monitor-only");
        InstallCommand.Build("http://core.example:5080", "sxk_k", sha, ["root", "exec"]).Should().Contain("--allow exec;", "only known capabilities are written");
    }

    [Theory]
    [InlineData("sxk_plain")]
    [InlineData("has space")]
    [InlineData("it's")]
    [InlineData("$(reboot)`id`;&|*?~[x]\"\\")]
    [InlineData("")]
    public async Task Quoted_words_read_back_unchanged_in_a_real_shell(string word)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("printf '%s' " + InstallCommand.ShellQuote(word));
        using var bash = Process.Start(info)!;
        var output = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();

        output.Should().Be(word);
    }

    [Theory]
    [InlineData("http://core:5080", "http://core:5080")]
    [InlineData("http://core:5080/", "http://core:5080")]
    [InlineData(" https://mon.example.com/sentinelx/ ", "https://mon.example.com/sentinelx")]
    [InlineData("http://core:5080/?x=1#top", "http://core:5080")]
    [InlineData("http://[::1]:5080", "http://[::1]:5080")]
    [InlineData("HTTP://Core.Example:80/", "http://core.example")]
    public void Public_urls_are_normalized(string url, string expected)
    {
        InstallCommand.NormalizeUrl(url).Should().Be(expected);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("core:5080")]
    [InlineData("/relative")]
    [InlineData("ftp://core")]
    [InlineData("http://core/it's")]
    [InlineData("http://core/$(id)")]
    [InlineData("http://core/a;b")]
    public void Urls_a_shell_could_misread_are_refused(string? url)
    {
        InstallCommand.NormalizeUrl(url).Should().BeNull();
    }

    [Fact]
    public void The_configured_public_url_wins_over_the_request()
    {
        Command("https://mon.example.com/").PublicUrl(Request("http", "10.0.0.5:5080")).Should().Be("https://mon.example.com");
    }

    [Fact]
    public void Without_configuration_the_request_says_where_the_core_is()
    {
        Command().PublicUrl(Request("http", "192.168.1.10:5080")).Should().Be("http://192.168.1.10:5080");
        Command().PublicUrl(Request("https", "mon.example.com", "/sx")).Should().Be("https://mon.example.com/sx");
        Command().PublicUrl(Request("http", null)).Should().BeNull();
    }

    [Fact]
    public void A_bad_public_url_is_a_start_up_error()
    {
        new CorePublicOptions { PublicUrl = "mon.example.com" }.Validate().Should().ContainSingle().Which.Should().Contain("Core:PublicUrl");
        new CorePublicOptions { PublicUrl = "https://mon.example.com" }.Validate().Should().BeEmpty();
        new CorePublicOptions().Validate().Should().BeEmpty();
    }
}
