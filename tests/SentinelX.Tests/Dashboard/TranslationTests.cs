using System.Text.RegularExpressions;
using FluentAssertions;
using SentinelX.App.Features.Localization;
using Xunit;

namespace SentinelX.Tests.Dashboard;

public sealed partial class TranslationTests
{
    [Fact]
    public void Every_dashboard_text_has_a_chinese_translation()
    {
        var dir = Path.Combine(RepoRoot(), "SentinelX.App", "Features", "Dashboard");
        var used = Directory.EnumerateFiles(dir, "*.*")
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(f => TextKey().Matches(File.ReadAllText(f)).Select(m => m.Groups["key"].Value))
            .Distinct()
            .ToList();
        used.Should().Contain("Traffic this month");
        used.Except(UiText.TranslatedKeys).Should().BeEmpty();
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SentinelX.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("SentinelX.sln not found above the test binaries");
    }

    // T["…"] and T.Format("…", …) / t.Format("…", …) with a literal key.
    [GeneratedRegex("""\b[Tt](?:\[|\.Format\()"(?<key>(?:[^"\\]|\\.)*)"[\],]""")]
    private static partial Regex TextKey();
}
