using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SentinelX.Node.Metrics;

/// <summary>
/// Reads small kernel files into one reused buffer and hands out the text as a span, so a sample
/// costs a few syscalls and no garbage. A span is valid until the next read.
/// </summary>
internal sealed class ProcFileReader
{
    private byte[] _bytes = new byte[16 * 1024];
    private char[] _chars = new char[16 * 1024];

    /// <summary>The file's text, or an empty span when it is missing or unreadable.</summary>
    public ReadOnlySpan<char> Read(string path)
    {
        using var handle = TryOpen(path);
        if (handle is null) return [];

        var length = 0;
        try
        {
            // /proc files report size 0, so read until EOF and grow when the buffer fills.
            while (true)
            {
                var n = RandomAccess.Read(handle, _bytes.AsSpan(length), length);
                if (n == 0) break;
                length += n;
                if (length == _bytes.Length) Array.Resize(ref _bytes, _bytes.Length * 2);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        if (_chars.Length < length) _chars = new char[_bytes.Length];
        // Kernel files are ASCII; Latin-1 maps every byte to one char and cannot fail.
        var count = Encoding.Latin1.GetChars(_bytes.AsSpan(0, length), _chars);
        return _chars.AsSpan(0, count);
    }

    private static SafeFileHandle? TryOpen(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads a file that holds one integer (sysfs style), or null.</summary>
    public long? ReadLong(string path)
    {
        var text = Read(path).Trim();
        return long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
    }
}
