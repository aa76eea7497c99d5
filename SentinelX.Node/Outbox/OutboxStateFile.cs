using System.Globalization;
using System.Text;

namespace SentinelX.Node.Outbox;

/// <summary>
/// The outbox's small state file (<c>acked=N</c> and <c>floor=N</c> lines): the highest seq the Core
/// stored and the lowest seq the Node may use next. Replaced atomically (temp file + rename).
/// </summary>
internal static class OutboxStateFile
{
    public const string FileName = "state";

    public static (long Acked, long Floor) Read(string dir)
    {
        long acked = 0, floor = 0;
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return (0, 0);
        foreach (var line in File.ReadAllLines(path))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0 || !long.TryParse(line.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value)) continue;
            if (line.AsSpan(0, eq).SequenceEqual("acked")) acked = value;
            else if (line.AsSpan(0, eq).SequenceEqual("floor")) floor = value;
        }

        return (acked, floor);
    }

    public static void Write(string dir, long acked, long floor)
    {
        var path = Path.Combine(dir, FileName);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"acked={acked}\nfloor={floor}\n")));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
