using SentinelX.Shared.Metrics;

namespace SentinelX.Node.Metrics;

/// <summary>
/// Temperature sensors from /sys/class/thermal and /sys/class/hwmon. The sensor list is discovered
/// once a minute; each sample only reads the value files.
/// </summary>
internal sealed class TemperatureSensors(string sysRoot, ProcFileReader reader, TimeProvider time)
{
    private static readonly TimeSpan Rediscover = TimeSpan.FromSeconds(60);
    private List<(string Name, string Path)> _sensors = [];
    private long _discoveredAt = long.MinValue;

    /// <summary>Current readings in °C; empty on machines (most VMs) without sensors.</summary>
    /// <param name="now">A timestamp of the same <see cref="TimeProvider"/>.</param>
    public IReadOnlyList<TemperatureReading> Read(long now)
    {
        if (_discoveredAt == long.MinValue || time.GetElapsedTime(_discoveredAt, now) >= Rediscover)
        {
            _sensors = Discover(sysRoot, reader);
            _discoveredAt = now;
        }

        if (_sensors.Count == 0) return [];
        var readings = new List<TemperatureReading>(_sensors.Count);
        foreach (var (name, path) in _sensors)
        {
            // Millidegrees; a sensor that errors or reports nonsense (unplugged probe) is skipped.
            if (reader.ReadLong(path) is { } milli && milli is > -100_000 and < 250_000)
                readings.Add(new TemperatureReading { Sensor = name, Celsius = milli / 1000.0 });
        }

        return readings;
    }

    /// <summary>Finds value files and gives each a stable, unique name such as <c>acpitz</c> or <c>coretemp_core_0</c>.</summary>
    internal static List<(string Name, string Path)> Discover(string sysRoot, ProcFileReader reader)
    {
        var sensors = new List<(string, string)>();
        var names = new HashSet<string>(StringComparer.Ordinal);

        void Add(string name, string path)
        {
            var unique = name;
            for (var i = 2; !names.Add(unique); i++) unique = $"{name}_{i}";
            sensors.Add((unique, path));
        }

        var thermal = Path.Combine(sysRoot, "class", "thermal");
        if (Directory.Exists(thermal))
        {
            foreach (var zone in Directory.EnumerateFileSystemEntries(thermal, "thermal_zone*").Order(StringComparer.Ordinal))
            {
                var temp = Path.Combine(zone, "temp");
                if (!File.Exists(temp)) continue;
                var type = reader.Read(Path.Combine(zone, "type")).Trim().ToString();
                Add(type.Length > 0 ? type : Path.GetFileName(zone), temp);
            }
        }

        var hwmon = Path.Combine(sysRoot, "class", "hwmon");
        if (Directory.Exists(hwmon))
        {
            foreach (var dir in Directory.EnumerateFileSystemEntries(hwmon).Order(StringComparer.Ordinal))
            {
                var chip = reader.Read(Path.Combine(dir, "name")).Trim().ToString();
                if (chip.Length == 0) chip = Path.GetFileName(dir);
                foreach (var input in Directory.EnumerateFiles(dir, "temp*_input").Order(StringComparer.Ordinal))
                {
                    var prefix = Path.GetFileName(input)[..^"_input".Length];
                    var label = reader.Read(Path.Combine(dir, prefix + "_label")).Trim().ToString();
                    var sensor = (label.Length > 0 ? label : prefix).Replace(' ', '_').ToLowerInvariant();
                    Add($"{chip}_{sensor}", input);
                }
            }
        }

        return sensors;
    }
}
