using System.Globalization;
using System.Net;
using System.Text;
using SentinelX.App.Features.Localization;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// An <see cref="AlertNotification"/> rendered in its language: a one-line title, the rule's own
/// message, then labelled fields. Every channel sends this same content, in the markup the service
/// reads: plain text, Markdown, Telegram's HTML or Slack's mrkdwn.
/// </summary>
public sealed class AlertMessage
{
    private static readonly CultureInfo ChineseCulture = CultureInfo.GetCultureInfo(UiText.Chinese);
    private static readonly UiText T = new();

    private AlertMessage(AlertNotification notification, string title, string? note, string summary, IReadOnlyList<(string Label, string Value)> fields)
    {
        Notification = notification;
        Title = title;
        Note = note;
        Summary = summary;
        Fields = fields;
    }

    public AlertNotification Notification { get; }
    public string Title { get; }

    /// <summary>The line saying this is a test, for test messages only.</summary>
    public string? Note { get; }

    public string Summary { get; }
    public IReadOnlyList<(string Label, string Value)> Fields { get; }

    public static AlertMessage Render(AlertNotification n)
    {
        // UiText translates for the current UI culture; sending runs in the background, so the
        // language comes with the notification and is in force only while this method runs.
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = n.Language == UiText.Chinese ? ChineseCulture : CultureInfo.InvariantCulture;
        try
        {
            return RenderInCurrentLanguage(n);
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    private static AlertMessage RenderInCurrentLanguage(AlertNotification n)
    {
        var rule = OneLine(n.RuleName, 200);
        var node = OneLine(n.NodeName, 200);
        var title = n.State == AlertState.Firing
            ? T.Format("[FIRING] {0} on {1}", rule, node)
            : T.Format("[RESOLVED] {0} on {1}", rule, node);
        if (n.IsTest) title = T.Format("[TEST] {0}", title);

        var fields = new List<(string, string)>
        {
            (T["Rule"], rule),
            (T["Node"], node),
            (T["Severity"], n.Severity switch
            {
                AlertSeverity.Info => T["info"],
                AlertSeverity.Warning => T["warning"],
                _ => T["critical"],
            }),
        };
        if (n.Value is { } value) fields.Add((T["Value"], Number(value)));
        if (n.Threshold is { } threshold) fields.Add((T["Threshold"], Number(threshold)));
        fields.Add((T["Started"], Time(n.StartedAt)));
        if (n.State == AlertState.Resolved)
        {
            if (n.ResolvedAt is { } resolved) fields.Add((T["Resolved at"], Time(resolved)));
            if (n.EffectiveDuration is { } duration) fields.Add((T["Duration"], Duration(duration)));
        }
        var note = n.IsTest ? T["This is a test message from SentinelX; the values below are examples."] : null;
        return new AlertMessage(n, title, note, OneLine(n.Message, 1000), fields);
    }

    /// <summary>Title (unless the service shows its own), note, summary and fields as plain text lines.</summary>
    public string ToText(bool withTitle = false) =>
        Compose(withTitle ? Title : null, s => s, (label, value) => $"{label}: {value}", "\n");

    /// <summary>CommonMark, user-supplied text escaped. DingTalk needs an empty line to break a line, hence <paramref name="lineBreak"/>.</summary>
    public string ToMarkdown(bool withTitle = false, string lineBreak = "\n") =>
        Compose(withTitle ? $"**{EscapeMarkdown(Title)}**" : null, EscapeMarkdown,
            (label, value) => $"**{EscapeMarkdown(label)}:** {EscapeMarkdown(value)}", lineBreak);

    /// <summary>Telegram's HTML parse mode: only &lt;, &gt; and &amp; need escaping, unlike its MarkdownV2.</summary>
    public string ToTelegramHtml() =>
        Compose($"<b>{WebUtility.HtmlEncode(Title)}</b>", WebUtility.HtmlEncode,
            (label, value) => $"<b>{WebUtility.HtmlEncode(label)}:</b> {WebUtility.HtmlEncode(value)}", "\n");

    /// <summary>Slack mrkdwn: &amp;, &lt; and &gt; are the only characters Slack asks to escape.</summary>
    public string ToSlackMrkdwn() =>
        Compose($"*{EscapeSlack(Title)}*", EscapeSlack, (label, value) => $"*{EscapeSlack(label)}:* {EscapeSlack(value)}", "\n");

    private string Compose(string? title, Func<string, string> escape, Func<string, string, string> field, string lineBreak)
    {
        var lines = new List<string>();
        if (title is not null) lines.Add(title);
        if (Note is not null) lines.Add(escape(Note));
        lines.Add(escape(Summary));
        lines.Add("");
        lines.AddRange(Fields.Select(f => field(f.Label, f.Value)));
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            // An empty line separates the summary from the fields; a break of "\n\n" already does that.
            if (line.Length == 0 && lineBreak.Contains("\n\n", StringComparison.Ordinal)) continue;
            if (text.Length > 0) text.Append(lineBreak);
            text.Append(line);
        }
        return text.ToString();
    }

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    private static string Duration(TimeSpan d)
    {
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        var parts = new List<string>();
        if (d.Days > 0) parts.Add(T.Format("{0} d", d.Days));
        if (d.Hours > 0) parts.Add(T.Format("{0} h", d.Hours));
        if (d.Minutes > 0) parts.Add(T.Format("{0} min", d.Minutes));
        if (d.Seconds > 0 || parts.Count == 0) parts.Add(T.Format("{0} s", d.Seconds));
        // Two units say enough: "2 d 3 h", not "2 d 3 h 14 min 5 s".
        return string.Join(" ", parts.Take(2));
    }

    /// <summary>Names come from users: no control characters (a CR/LF would break a header or subject), bounded length.</summary>
    internal static string OneLine(string text, int maxLength)
    {
        var clean = new string([.. text.Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
        return Clip(clean, maxLength);
    }

    /// <summary>Cuts text to a service's limit, counted in characters.</summary>
    internal static string Clip(string text, int maxChars) => text.Length <= maxChars ? text : text[..(maxChars - 1)] + "…";

    /// <summary>Cuts text to a service's limit counted in UTF-8 bytes (WeCom), never inside a character.</summary>
    internal static string ClipUtf8(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes) return text;
        var length = text.Length;
        while (length > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > maxBytes - 3) length--;
        if (length > 0 && char.IsHighSurrogate(text[length - 1])) length--;
        return text[..length] + "…";
    }

    internal static string EscapeMarkdown(string text)
    {
        var escaped = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            // Only what changes meaning inside a line: services with partial Markdown (WeCom, DingTalk)
            // show the backslash of an escape they do not know, so "[FIRING]" and "93.2 % > 80 %" stay
            // as they are, and a link is broken up between its "]" and "(".
            if (@"\`*_<|~#".Contains(c, StringComparison.Ordinal) || (c == '(' && i > 0 && text[i - 1] == ']')) escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    private static string EscapeSlack(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
