using System.Globalization;
using SentinelX.App.Features.Localization;

namespace SentinelX.App.Ui;

/// <summary>Numbers as people read them: binary sizes (KiB, MiB…), bit rates (kbit/s, Mbit/s…), "3 d 4 h".</summary>
public static class Units
{
    private static readonly string[] SizeUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    private static readonly string[] RateUnits = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"];

    /// <summary>1536 → "1.5 KiB"; three significant digits at most.</summary>
    public static string Bytes(double bytes)
    {
        if (bytes < 0 || double.IsNaN(bytes)) bytes = 0;
        var i = 0;
        while (bytes >= 1024 && i < SizeUnits.Length - 1)
        {
            bytes /= 1024;
            i++;
        }
        return Number(bytes, i == 0) + " " + SizeUnits[i];
    }

    /// <summary>Bytes per second as bits per second (decimal prefixes, as links are sold): 125000 → "1.00 Mbit/s".</summary>
    public static string Rate(double bytesPerSecond)
    {
        var bits = Math.Max(0, double.IsNaN(bytesPerSecond) ? 0 : bytesPerSecond) * 8;
        var i = 0;
        while (bits >= 1000 && i < RateUnits.Length - 1)
        {
            bits /= 1000;
            i++;
        }
        return Number(bits, i == 0) + " " + RateUnits[i];
    }

    /// <summary>"3 d 4 h", "5 h 12 min", "7 min", "42 s".</summary>
    public static string Duration(long seconds, UiText t)
    {
        if (seconds < 0) seconds = 0;
        var d = seconds / 86400;
        var h = seconds % 86400 / 3600;
        var m = seconds % 3600 / 60;
        if (d > 0) return t.Format("{0} d {1} h", d, h);
        if (h > 0) return t.Format("{0} h {1} min", h, m);
        if (m > 0) return t.Format("{0} min", m);
        return t.Format("{0} s", seconds);
    }

    /// <summary>Share 0–100 of used in total (0 when the total is unknown).</summary>
    public static double Percent(double used, double total) => total <= 0 ? 0 : Math.Clamp(100 * used / total, 0, 100);

    /// <summary>CSS class for a usage bar: calm below 70 %, warning to 90 %, alarm above.</summary>
    public static string Level(double percent) => percent >= 90 ? "sx-bad" : percent >= 70 ? "sx-warn" : "sx-ok";

    /// <summary>"DE" → 🇩🇪 (regional indicator symbols); "" for anything that is not two ASCII letters.</summary>
    public static string Flag(string? region)
    {
        if (region is not { Length: 2 } || !char.IsAsciiLetter(region[0]) || !char.IsAsciiLetter(region[1])) return "";
        return char.ConvertFromUtf32(0x1F1E6 + char.ToUpperInvariant(region[0]) - 'A')
             + char.ConvertFromUtf32(0x1F1E6 + char.ToUpperInvariant(region[1]) - 'A');
    }

    private static string Number(double value, bool whole) =>
        whole ? Math.Round(value).ToString("0", CultureInfo.InvariantCulture)
        : value.ToString(value >= 100 ? "0" : value >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture);
}
