using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;

namespace SentinelX.Shared.Validation;

/// <summary>Checks both sides apply to values that arrive from the other side.</summary>
public static class ProtocolValidation
{
    public const int MaxNameLength = 64;
    public const int MaxSamplesPerBatch = 1000;

    /// <summary>Returns why a node name is unacceptable, or null when it is fine.</summary>
    public static string? ValidateName(string? name)
    {
        if (name is null) return null;
        if (name.Length == 0 || name.Length > MaxNameLength) return $"name must be 1 to {MaxNameLength} characters";
        foreach (var c in name)
        {
            if (char.IsControl(c)) return "name must not contain control characters";
        }
        return null;
    }

    /// <summary>Returns why a batch is unacceptable, or null when every sample in it may be stored.</summary>
    public static string? Validate(SampleBatch batch)
    {
        if (batch.Samples.Count > MaxSamplesPerBatch) return $"at most {MaxSamplesPerBatch} samples per batch";
        long previous = 0;
        foreach (var s in batch.Samples)
        {
            if (Validate(s) is { } error) return $"sample {s.Seq}: {error}";
            if (s.Seq <= previous) return "samples must be in ascending seq order";
            previous = s.Seq;
        }
        return null;
    }

    /// <summary>Returns why a sample is unacceptable, or null.</summary>
    public static string? Validate(MetricSample s)
    {
        if (s.Seq <= 0) return "seq must be positive";
        // A year 2000 lower bound catches zeroed clocks and seconds sent as milliseconds.
        if (s.Timestamp.Year < 2000 || s.Timestamp > DateTimeOffset.UtcNow.AddDays(1)) return "timestamp out of range";
        if (!IsFinite(s.CpuPercent, 0, 100.5)) return "cpuPercent must be within 0–100";
        if (!IsFinite(s.Load1, 0) || !IsFinite(s.Load5, 0) || !IsFinite(s.Load15, 0)) return "load must be a non-negative number";
        if (s.MemUsedBytes < 0 || s.MemTotalBytes < 0 || s.SwapUsedBytes < 0 || s.SwapTotalBytes < 0
            || s.DiskUsedBytes < 0 || s.DiskTotalBytes < 0 || s.NetRxTotal < 0 || s.NetTxTotal < 0)
            return "byte counts must not be negative";
        if (!IsFinite(s.DiskReadBps, 0) || !IsFinite(s.DiskWriteBps, 0) || !IsFinite(s.NetRxBps, 0) || !IsFinite(s.NetTxBps, 0))
            return "rates must be non-negative numbers";
        if (s.TcpConnections < 0 || s.UdpConnections < 0 || s.Processes < 0 || s.UptimeSeconds < 0)
            return "counts must not be negative";
        if (s.CpuPerCore is { Count: > 4096 } || s.Mounts is { Count: > 256 } || s.Interfaces is { Count: > 1024 } || s.Temperatures is { Count: > 256 })
            return "too many entries in a detail list";
        return ProbeValidation.Validate(s.Probes);
    }

    /// <summary>
    /// Returns why a Node's answer to <see cref="Methods.ProcessTop"/> is unacceptable, or null. A Node
    /// never sends more rows than asked, longer strings than <see cref="ProcessNames"/> allows or
    /// control characters, so any of that is a broken or hostile Node and nothing of it is shown.
    /// </summary>
    public static string? Validate(ProcessTopResult result, int top)
    {
        if (result.Processes.Count > Math.Min(top, ProcessNames.MaxTop)) return $"{result.Processes.Count} processes sent, {top} asked for";
        if (result.SampledMs is < 0 or > 60_000) return "sampledMs out of range";
        foreach (var p in result.Processes)
        {
            if (p.Pid <= 0) return "pid must be positive";
            if (!IsFinite(p.CpuPercent, 0, ProcessNames.MaxCpuPercent)) return $"process {p.Pid}: cpuPercent out of range";
            if (p.MemBytes < 0) return $"process {p.Pid}: memBytes must not be negative";
            if (!IsPrintable(p.Name, ProcessNames.MaxNameLength) || !IsPrintable(p.User, ProcessNames.MaxUserLength)
                || !IsPrintable(p.Command, ProcessNames.MaxCommandLength))
                return $"process {p.Pid}: name, user or command too long or not printable";
        }
        return null;
    }

    private static bool IsPrintable(string text, int maxLength)
    {
        if (text.Length > maxLength) return false;
        foreach (var c in text)
        {
            if (char.IsControl(c)) return false;
        }
        return true;
    }

    private static bool IsFinite(double value, double min, double max = double.MaxValue) =>
        double.IsFinite(value) && value >= min && value <= max;
}
