using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace SentinelX.Node.Config;

/// <summary>
/// Changes single settings in node.toml text and leaves every other line (comments included) as
/// the owner wrote it: the value of a key that is there is replaced in place, a new key goes where
/// TOML reads it as meant (before the first table, or into its table). The caller reads the result
/// back through <see cref="ConfigFile"/> before writing it.
/// </summary>
internal static class TomlConfigEditor
{
    public const string Header =
        "# SentinelX Node configuration. `sentinelx-node --help` lists every setting; a flag or a\n" +
        "# SENTINELX_NODE_* variable overrides the line here. Restart sentinelx-node after a change.\n";

    /// <summary><paramref name="text"/> with <paramref name="setting"/> set to <paramref name="tomlValue"/> (TOML syntax).</summary>
    public static string Set(string text, Setting setting, string tomlValue)
    {
        var key = setting.Key!;
        var document = SyntaxParser.Parse(text, validate: false);
        if (Find(document, key) is { } existing)
        {
            var value = existing.Value!.Span;
            return text[..value.Start.Offset] + tomlValue + text[(value.End.Offset + 1)..];
        }

        var comment = $"# {setting.Help}\n";
        var dot = key.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var table = key[..dot];
            var leaf = key[(dot + 1)..];
            if (document.Tables.OfType<TableSyntax>().FirstOrDefault(t => NameOf(t.Name!) == table) is { } section)
            {
                // After the table's last line, before whatever follows it.
                var after = section.Items.ChildrenCount > 0 ? section.Items.GetChild(section.Items.ChildrenCount - 1)!.Span : section.Span;
                var at = LineEnd(text, after.End.Offset);
                var newline = at > 0 && text[at - 1] != '\n' ? "\n" : "";
                return text[..at] + newline + comment + $"{leaf} = {tomlValue}\n" + text[at..];
            }

            if (!document.KeyValues.Any(kv => NameOf(kv.Key!).StartsWith(table + ".", StringComparison.Ordinal)))
                return EnsureNewline(text) + $"\n[{table}]\n" + comment + $"{leaf} = {tomlValue}\n";
        }

        // A key at the top goes before the first table header, where it still belongs to no table.
        var line = comment + $"{key} = {tomlValue}\n";
        if (document.Tables.ChildrenCount == 0) return EnsureNewline(text) + line;
        var first = LineStart(text, document.Tables.GetChild(0)!.Span.Start.Offset);
        // Above the blank line(s) that set the table apart, if there are any.
        while (first >= 2 && text[first - 1] == '\n' && text[first - 2] == '\n') first--;
        return text[..first] + line + text[first..];
    }

    /// <summary><paramref name="text"/> without the line(s) of <paramref name="key"/>; unchanged when it is not there.</summary>
    public static string Remove(string text, string key)
    {
        var document = SyntaxParser.Parse(text, validate: false);
        if (Find(document, key) is not { } existing) return text;
        var start = LineStart(text, existing.Span.Start.Offset);
        var end = LineEnd(text, existing.Span.End.Offset);
        return text[..start] + text[end..];
    }

    private static KeyValueSyntax? Find(DocumentSyntax document, string key)
    {
        foreach (var kv in document.KeyValues)
        {
            if (NameOf(kv.Key!) == key) return kv;
        }

        foreach (var table in document.Tables.OfType<TableSyntax>())
        {
            var prefix = NameOf(table.Name!) + ".";
            foreach (var kv in table.Items)
            {
                if (prefix + NameOf(kv.Key!) == key) return kv;
            }
        }

        return null;
    }

    private static string NameOf(KeySyntax key)
    {
        var parts = new List<string> { Part(key.Key) };
        foreach (var dotted in key.DotKeys) parts.Add(Part(dotted.Key));
        return string.Join('.', parts);

        static string Part(SyntaxNode? node) => node switch
        {
            BareKeySyntax bare => bare.Key!.Text ?? "",
            StringValueSyntax quoted => quoted.Value ?? "",
            _ => node?.ToString()?.Trim() ?? "",
        };
    }

    private static int LineStart(string text, int offset)
    {
        var newline = offset > 0 ? text.LastIndexOf('\n', Math.Min(offset - 1, text.Length - 1)) : -1;
        return newline + 1;
    }

    private static int LineEnd(string text, int offset)
    {
        var newline = text.IndexOf('\n', Math.Min(offset, text.Length));
        return newline < 0 ? text.Length : newline + 1;
    }

    private static string EnsureNewline(string text) => text.Length == 0 || text.EndsWith('\n') ? text : text + "\n";
}
