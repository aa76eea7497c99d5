using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;

namespace SentinelX.App.Features.Localization;

/// <summary>
/// The UI's strings. English text is the key; other languages come from <c>*.zh-CN.json</c> files
/// next to the components that use them (embedded at build time), so a feature carries its own
/// translations. A missing translation shows the English text (and fails a test).
/// </summary>
public sealed class UiText
{
    public const string Chinese = "zh-CN";
    public const string English = "en";

    public static readonly IReadOnlyList<(string Code, string Name)> Languages = [(English, "English"), (Chinese, "简体中文")];

    private static readonly FrozenDictionary<string, string> ChineseText = Load(Chinese);

    /// <summary>"en" or "zh-CN" for the current request or circuit.</summary>
    public static string CurrentLanguage => IsChinese(CultureInfo.CurrentUICulture) ? Chinese : English;

    public static string HtmlLanguage => CurrentLanguage;

    public static bool IsSupported(string? language) => language is English or Chinese;

    public string this[string english] =>
        IsChinese(CultureInfo.CurrentUICulture) && ChineseText.TryGetValue(english, out var text) ? text : english;

    /// <summary>Translates a composite format string (the English text is the key), then fills it in.</summary>
    public string Format(string english, params object?[] args) =>
        string.Format(CultureInfo.CurrentCulture, this[english], args);

    /// <summary>Every English key with a Chinese translation; tests compare it with the keys the UI uses.</summary>
    public static IReadOnlyCollection<string> TranslatedKeys => ChineseText.Keys;

    private static bool IsChinese(CultureInfo culture) => culture.Name.StartsWith("zh", StringComparison.OrdinalIgnoreCase);

    private static FrozenDictionary<string, string> Load(string language)
    {
        var assembly = typeof(UiText).Assembly;
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.EndsWith($".{language}.json", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            var entries = JsonSerializer.Deserialize(stream, LocalizationJsonContext.Default.DictionaryStringString)
                ?? throw new InvalidDataException($"{name} is not a JSON object of strings");
            foreach (var (english, translated) in entries)
                merged[english] = translated;
        }
        return merged.ToFrozenDictionary(StringComparer.Ordinal);
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class LocalizationJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
