using System.Globalization;

namespace SentinelX.Node.Remote;

/// <summary>User and group names by id, read from <c>/etc/passwd</c> and <c>/etc/group</c> once per listing.</summary>
internal sealed class FilesOwners(Dictionary<uint, string> users, Dictionary<uint, string> groups)
{
    public static FilesOwners Load() => new(Read("/etc/passwd"), Read("/etc/group"));

    /// <summary>The name, or the number when the id has no entry (files from another system, containers).</summary>
    public string User(uint id) => users.TryGetValue(id, out var name) ? name : id.ToString(CultureInfo.InvariantCulture);

    public string Group(uint id) => groups.TryGetValue(id, out var name) ? name : id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Both files are <c>name:password:id:...</c> lines.</summary>
    private static Dictionary<uint, string> Read(string path)
    {
        var names = new Dictionary<uint, string>();
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                    names.TryAdd(id, fields[0]);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return names;
    }
}
