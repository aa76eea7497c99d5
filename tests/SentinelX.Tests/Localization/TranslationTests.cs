using System.Text.RegularExpressions;
using FluentAssertions;
using SentinelX.App.Features.Localization;
using Xunit;

namespace SentinelX.Tests.Localization;

/// <summary>Every string the UI shows through <c>T[...]</c> or <c>T.Format(...)</c> has a Chinese translation.</summary>
public sealed partial class TranslationTests
{
    [GeneratedRegex("""\bT(?:\[|\.Format\()\s*"((?:[^"\\]|\\.)*)"\s*[\],]""")]
    private static partial Regex UsedKey();

    [GeneratedRegex(@"\{\d+(?::[^}]*)?\}")]
    private static partial Regex Placeholder();

    private static string AppSource => Path.Combine(RepoRoot(), "SentinelX.App");

    [Fact]
    public void Every_UI_string_has_a_Chinese_translation()
    {
        var used = Directory.EnumerateFiles(AppSource, "*.*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
                        && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => UsedKey().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Key: Regex.Unescape(m.Groups[1].Value))))
            .ToList();

        used.Should().NotBeEmpty();
        var missing = used.Where(u => !UiText.TranslatedKeys.Contains(u.Key)).Select(u => $"{u.File}: {u.Key}").Distinct().ToList();
        missing.Should().BeEmpty("every T[\"...\"] needs an entry in its feature's *.zh-CN.json");
    }

    [Fact]
    public void Translations_keep_the_placeholders_of_the_English_text()
    {
        var chinese = new UiText();
        var previous = System.Globalization.CultureInfo.CurrentUICulture;
        System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo(UiText.Chinese);
        try
        {
            foreach (var english in UiText.TranslatedKeys)
            {
                var translated = chinese[english];
                translated.Should().NotBeNullOrWhiteSpace(english);
                Placeholder().Matches(translated).Select(m => m.Value).Order()
                    .Should().Equal(Placeholder().Matches(english).Select(m => m.Value).Order(), "placeholders of \"{0}\"", english);
            }
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = previous;
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SentinelX.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("SentinelX.sln not found above " + AppContext.BaseDirectory);
    }
}
