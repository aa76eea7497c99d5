using System.Diagnostics.CodeAnalysis;
using System.Text;
using SentinelX.App.Features.Audit;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Exec;

/// <summary>Output as a watcher sees it: text decoded as it arrives (a character split across chunks is kept whole).</summary>
public sealed record ExecChunk(bool Stderr, string Text);

/// <summary>
/// A run in progress: collects each stream's raw bytes up to <see cref="ExecRun.MaxOutputBytes"/>,
/// and tells watchers (the UI) about every chunk and the end. Bytes are decoded only for display
/// and storage, so invalid UTF-8 costs a replacement character, never the run.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The output buffers are MemoryStreams: nothing to release, and they are read until the run is stored.")]
public sealed class LiveExecRun
{
    private readonly Lock _gate = new();
    private readonly MemoryStream _stdout = new();
    private readonly MemoryStream _stderr = new();
    private readonly Decoder _stdoutDecoder = Encoding.UTF8.GetDecoder();
    private readonly Decoder _stderrDecoder = Encoding.UTF8.GetDecoder();
    private readonly List<ExecChunk> _chunks = [];
    private readonly TaskCompletionSource<ExecRun> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private event Action<ExecChunk>? Output;
    private int _finished;

    internal LiveExecRun(ExecRun record, string nodeName, AuditActor actor)
    {
        Record = record;
        NodeName = nodeName;
        Actor = actor;
    }

    /// <summary>Who started it; the end of the run is audited in their name.</summary>
    internal AuditActor Actor { get; }

    /// <summary>The row as inserted; filled in when the run ends.</summary>
    internal ExecRun Record { get; }

    public string Id => Record.Id;
    public string NodeId => Record.NodeId;
    public string NodeName { get; }

    /// <summary>Set by the Node's exit (or a failure); completes with the stored row.</summary>
    public Task<ExecRun> Completion => _done.Task;

    public bool Truncated { get; private set; }

    /// <summary>Replays what arrived so far to <paramref name="onChunk"/>, then delivers the rest as it comes.</summary>
    public IDisposable Watch(Action<ExecChunk> onChunk)
    {
        lock (_gate)
        {
            foreach (var chunk in _chunks) onChunk(chunk);
            Output += onChunk;
        }

        return new Subscription(this, onChunk);
    }

    internal void Append(string stream, byte[] data)
    {
        var stderr = stream == "stderr";
        ExecChunk chunk;
        lock (_gate)
        {
            if (_finished != 0) return;
            var buffer = stderr ? _stderr : _stdout;
            var keep = (int)Math.Min(data.Length, ExecRun.MaxOutputBytes - buffer.Length);
            if (keep < data.Length) Truncated = true;
            if (keep <= 0) return;
            buffer.Write(data, 0, keep);
            var decoder = stderr ? _stderrDecoder : _stdoutDecoder;
            var chars = new char[decoder.GetCharCount(data, 0, keep, flush: false)];
            decoder.GetChars(data, 0, keep, chars, 0, flush: false);
            chunk = new ExecChunk(stderr, new string(chars));
            _chunks.Add(chunk);
        }

        Output?.Invoke(chunk);
    }

    /// <summary>Claims the right to finish; only the first caller (exit, disconnect or deadline) gets it.</summary>
    internal bool TryClaimFinish() => Interlocked.Exchange(ref _finished, 1) == 0;

    /// <summary>Fills the record from the exit (or failure) and the collected output.</summary>
    internal void Fill(ExecExit exit, long finishedAt)
    {
        lock (_gate)
        {
            Record.Status = exit.Status;
            Record.ExitCode = exit.ExitCode;
            Record.DurationMs = exit.DurationMs;
            Record.FinishedAt = finishedAt;
            Record.Truncated = exit.Truncated || Truncated;
            Record.Error = exit.Error ?? "";
            Record.Stdout = Decode(_stdout);
            Record.Stderr = Decode(_stderr);
        }
    }

    internal void Complete() => _done.TrySetResult(Record);

    /// <summary>Lossy UTF-8 without NUL, which PostgreSQL text refuses.</summary>
    internal static string Decode(MemoryStream bytes) =>
        Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length).Replace('\0', '\uFFFD');

    private sealed class Subscription(LiveExecRun run, Action<ExecChunk> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (run._gate) run.Output -= handler;
        }
    }
}
