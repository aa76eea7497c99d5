using System.Globalization;

namespace SentinelX.Node.Processes;

/// <summary>
/// uid → user name from <c>/etc/passwd</c>, read again only when the file changes. Users that only a
/// directory service knows (LDAP through NSS) show as their number: the Node does not load NSS modules.
/// Not thread-safe; <see cref="ProcessSampler"/> calls it under its lock.
/// </summary>
internal sealed class UserNames(string passwdPath)
{
    private Dictionary<uint, string> _names = [];
    private (DateTime Written, long Length) _version = (DateTime.MinValue, -1);

    /// <summary>Re-reads the file when its time or size changed since the last call.</summary>
    public void Refresh()
    {
        (DateTime, long) version;
        try
        {
            var file = new FileInfo(passwdPath);
            version = file.Exists ? (file.LastWriteTimeUtc, file.Length) : (DateTime.MinValue, -1);
            if (version == _version) return;
            _names = version.Item2 < 0 ? [] : ProcessParsers.ParsePasswd(File.ReadAllText(passwdPath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            version = (DateTime.MinValue, -1);
            _names = [];
        }

        _version = version;
    }

    /// <summary>The user's name, or the uid as text when the file does not list it.</summary>
    public string Of(uint uid)
    {
        if (_names.TryGetValue(uid, out var name)) return name;
        // Kept, so an unknown uid is formatted once until the file changes.
        name = uid.ToString(CultureInfo.InvariantCulture);
        _names[uid] = name;
        return name;
    }
}
