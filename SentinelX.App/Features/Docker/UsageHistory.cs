using System.Globalization;
using System.Text;

namespace SentinelX.App.Features.Docker;

/// <summary>The last few CPU readings of each container, drawn as a sparkline in the Containers table.</summary>
public sealed class UsageHistory
{
    public const int Points = 30;
    private readonly Dictionary<string, Queue<double>> _cpu = new(StringComparer.Ordinal);

    /// <summary>Adds this poll's readings and forgets containers that are gone.</summary>
    public void Add(IEnumerable<(string Id, double? Cpu)> readings)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, cpu) in readings)
        {
            seen.Add(id);
            if (cpu is not { } value) continue;
            if (!_cpu.TryGetValue(id, out var queue)) _cpu[id] = queue = new Queue<double>(Points);
            if (queue.Count == Points) queue.Dequeue();
            queue.Enqueue(value);
        }

        foreach (var id in _cpu.Keys.Where(id => !seen.Contains(id)).ToList()) _cpu.Remove(id);
    }

    public IReadOnlyCollection<double> Cpu(string id) => _cpu.TryGetValue(id, out var queue) ? queue : [];

    /// <summary>
    /// SVG polyline points for a <paramref name="width"/>×<paramref name="height"/> box, newest at the right edge.
    /// Scaled to the highest reading (at least 1 %), so the shape of a quiet container's load still shows.
    /// </summary>
    public static string Polyline(IReadOnlyCollection<double> values, int width, int height)
    {
        if (values.Count < 2) return "";
        var max = Math.Max(1, values.Max());
        var step = (double)width / (Points - 1);
        var x = width - step * (values.Count - 1);
        var points = new StringBuilder();
        foreach (var value in values)
        {
            var y = height - Math.Clamp(value / max, 0, 1) * (height - 1);
            points.Append(CultureInfo.InvariantCulture, $"{x:0.#},{y:0.#} ");
            x += step;
        }

        return points.ToString().TrimEnd();
    }
}
