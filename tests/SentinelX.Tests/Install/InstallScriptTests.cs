using System.Diagnostics;
using FluentAssertions;
using SentinelX.App.Features.Install;
using Xunit;

namespace SentinelX.Tests.Install;

public sealed class InstallScriptTests
{
    /// <summary>The copy the Core ships (packaging/install.sh, linked into the App's output).</summary>
    private static readonly InstallScript Shipped = new();

    [Fact]
    public void The_core_ships_the_script_with_one_place_for_its_url()
    {
        File.Exists(Shipped.Path).Should().BeTrue($"{Shipped.Path} is copied from packaging/install.sh");
        var template = File.ReadAllText(Shipped.Path);
        template.Split(InstallScript.CoreUrlPlaceholder).Should().HaveCount(2, "the placeholder appears exactly once");
    }

    [Fact]
    public async Task The_served_script_defaults_to_this_core_and_is_valid_bash()
    {
        var script = Shipped.Render("http://192.168.1.10:5080")!;

        script.Should().Contain("default_core='http://192.168.1.10:5080'").And.NotContain(InstallScript.CoreUrlPlaceholder);
        (await BashSyntaxErrorsAsync(script)).Should().BeEmpty();
    }

    [Fact]
    public void Without_a_url_the_default_is_empty_and_the_script_asks_for_core()
    {
        Shipped.Render(null)!.Should().Contain("default_core=''");
    }

    [Fact]
    public void A_core_shipped_without_the_script_renders_nothing()
    {
        new InstallScript(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "install.sh")).Render("http://x").Should().BeNull();
    }

    private static async Task<string> BashSyntaxErrorsAsync(string script)
    {
        var info = new ProcessStartInfo("bash", "-n") { RedirectStandardInput = true, RedirectStandardError = true };
        using var bash = Process.Start(info)!;
        await bash.StandardInput.WriteAsync(script);
        bash.StandardInput.Close();
        var errors = await bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();
        return bash.ExitCode == 0 ? errors : errors + $" (exit {bash.ExitCode})";
    }
}
