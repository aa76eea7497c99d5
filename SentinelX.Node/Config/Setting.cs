using System.Diagnostics.CodeAnalysis;

namespace SentinelX.Node.Config;

/// <summary>
/// One row of <see cref="NodeSettingsTable"/>: a setting's key in the config file, its flag and its
/// environment variable (<c>SENTINELX_NODE_</c> + the flag in capitals), how its value is read, and
/// the line --help prints for it.
/// </summary>
internal abstract class Setting
{
    protected Setting(string? key, string flag, string help)
    {
        Key = key;
        Flag = flag;
        Env = "SENTINELX_NODE_" + flag.ToUpperInvariant().Replace('-', '_');
        Help = help;
    }

    /// <summary>The key in node.toml (dotted for a key inside a table: <c>forwardTargets.allow</c>); null for <c>--config</c> itself.</summary>
    public string? Key { get; }

    /// <summary>The flag without its dashes.</summary>
    public string Flag { get; }

    public string Env { get; }

    public string Help { get; }

    /// <summary>Further flags that stand for a fixed value (<c>--monitor-only</c> is <c>--allow none</c>).</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; init; } = new Dictionary<string, string>();

    public abstract string Placeholder { get; }

    /// <summary>Whether the flag may stand alone (a switch: <c>--forward-privileged-ports</c> means true).</summary>
    public abstract bool IsSwitch { get; }

    /// <summary>The default as --help shows it, or null when there is none.</summary>
    public abstract string? DefaultText { get; }

    public abstract bool TryParse(string text, [NotNullWhen(true)] out object? value, out string error);

    public abstract bool TryRead(object? file, [NotNullWhen(true)] out object? value, out string error);

    public abstract string ToToml(object value);

    public abstract string Show(object value);
}

/// <summary>A setting whose value is a <typeparamref name="T"/>.</summary>
internal sealed class Setting<T>(string? key, string flag, SettingKind<T> kind, string help, T? defaultValue = default, string? defaultText = null)
    : Setting(key, flag, help) where T : notnull
{
    public SettingKind<T> Kind => kind;

    /// <summary>The value when no source gives one (null: none, e.g. the key).</summary>
    public T? Default => defaultValue;

    public override string Placeholder => kind.Placeholder;

    public override bool IsSwitch => kind is SwitchKind;

    public override string? DefaultText => defaultText ?? (defaultValue is null ? null : kind.Show(defaultValue));

    public override bool TryParse(string text, [NotNullWhen(true)] out object? value, out string error)
    {
        var ok = kind.TryParse(text, out var typed, out error);
        value = typed;
        return ok;
    }

    public override bool TryRead(object? file, [NotNullWhen(true)] out object? value, out string error)
    {
        var ok = kind.TryRead(file, out var typed, out error);
        value = typed;
        return ok;
    }

    public override string ToToml(object value) => kind.ToToml((T)value);

    public override string Show(object value) => kind.Show((T)value);
}

/// <summary>Where a setting's value came from, named in error messages and by <c>config show</c>.</summary>
internal sealed record SettingSource(SettingOrigin Origin, string Name)
{
    public override string ToString() => Name;
}

internal enum SettingOrigin
{
    Default,
    File,
    Environment,
    Flag,
}
