using System.Buffers;
using System.Text.Json;
using SentinelX.Node.Logging;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Outbox;

/// <summary>Limits of the outbox; the defaults keep a week of 1 s samples in at most 100 MB.</summary>
internal sealed record OutboxOptions
{
    public long MaxBytes { get; init; } = 100L * 1024 * 1024;
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);
    public long SegmentMaxBytes { get; init; } = 1024 * 1024;
    public TimeSpan SegmentMaxAge { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>A stored sample: its seq and its JSON exactly as it will travel.</summary>
internal readonly record struct OutboxRecord(long Seq, byte[] Json);

/// <summary>
/// Disk-backed queue of numbered samples, so nothing is lost while the Core is away or the Node
/// restarts. Samples go to append-only segment files under <c>DATA/outbox/</c>; the highest seq the
/// Core acknowledged, and the lowest seq the Node may use next, live in a small <c>state</c> file
/// replaced atomically. Segments that are wholly acknowledged are deleted; past the size or age
/// bound the oldest segment is dropped, with a log line saying how many unsent samples went with it.
/// Thread-safe: the collector appends while the connection reads and acknowledges.
/// </summary>
internal sealed class SampleOutbox : IDisposable
{
    // Acks arrive every second; the state file is rewritten at most this often (a lost ack only means
    // the Core sees a few samples twice, and it stores each seq once).
    private static readonly TimeSpan StateWriteInterval = TimeSpan.FromSeconds(10);

    private readonly string _dir;
    private readonly OutboxOptions _options;
    private readonly Lock _lock = new();
    private readonly List<Segment> _segments = [];
    private readonly ArrayBufferWriter<byte> _json = new(4096);
    private readonly Utf8JsonWriter _jsonWriter;
    private byte[] _record = new byte[8192];
    private byte[] _readBuffer = new byte[8192];

    private FileStream? _active;
    private DateTime _activeOpenedUtc;
    private long _nextSeq;
    private long _acked;
    private long _floor;
    private DateTime _stateWrittenUtc = DateTime.MinValue;
    private bool _stateDirty;

    // Where the last Read stopped, so a live sender does not rescan the active segment every second.
    private Segment? _cursorSegment;
    private long _cursorOffset;
    private long _cursorLastSeq;

    private SampleOutbox(string dir, OutboxOptions options)
    {
        _dir = dir;
        _options = options;
        _jsonWriter = new Utf8JsonWriter(_json);
    }

    /// <summary>The seq the next appended sample gets.</summary>
    public long NextSeq
    {
        get { lock (_lock) return _nextSeq; }
    }

    /// <summary>Everything up to this seq is stored by the Core.</summary>
    public long AckedSeq
    {
        get { lock (_lock) return _acked; }
    }

    /// <summary>Opens (or creates) the outbox in <paramref name="dir"/>, cutting off a torn tail left by a crash.</summary>
    public static SampleOutbox Open(string dir, OutboxOptions? options = null)
    {
        var outbox = new SampleOutbox(dir, options ?? new OutboxOptions());
        outbox.Load();
        return outbox;
    }

    /// <summary>
    /// Appends a sample. Its seq is a hint: if another thread raised the floor in between (hello,
    /// enrollment) the sample is renumbered, so seqs stay strictly increasing. Returns the seq used.
    /// </summary>
    public long Append(MetricSample sample)
    {
        lock (_lock)
        {
            if (sample.Seq != _nextSeq) sample = sample with { Seq = _nextSeq };
            _json.ResetWrittenCount();
            _jsonWriter.Reset(_json);
            JsonSerializer.Serialize(_jsonWriter, sample, ProtocolJsonContext.Default.MetricSample);

            var now = DateTime.UtcNow;
            if (_active is null || _segments[^1].Size >= _options.SegmentMaxBytes || now - _activeOpenedUtc >= _options.SegmentMaxAge)
                Roll(sample.Seq, now);

            var size = SegmentFormat.HeaderSize + _json.WrittenCount;
            if (_record.Length < size) _record = new byte[Math.Max(size, _record.Length * 2)];
            var written = SegmentFormat.Write(_record, sample.Seq, _json.WrittenSpan);
            // One write per record and a flush to the kernel: a crash of the process loses nothing,
            // a power cut at most the tail the kernel had not written, which Load then cuts off.
            _active!.Write(_record, 0, written);
            _active.Flush(flushToDisk: false);

            var segment = _segments[^1];
            segment.LastSeq = sample.Seq;
            segment.Size += written;
            segment.LastWriteUtc = now;
            _nextSeq = sample.Seq + 1;
            return sample.Seq;
        }
    }

    /// <summary>Records that the Core stored everything up to <paramref name="seq"/> and deletes segments that are done.</summary>
    public void Ack(long seq)
    {
        lock (_lock)
        {
            if (seq <= _acked) return;
            _acked = seq;
            _stateDirty = true;
            // The Core holds a seq we never used (restored backup, reinstall): never reuse it.
            if (seq >= _nextSeq) RaiseFloor(seq + 1);

            // The segment being written stays even when fully acked: deleting and re-creating a file
            // every second would churn the disk. It goes once it has rolled over.
            if (_segments.Count > 1 && UpperBound(0) <= _acked)
            {
                // State first: if we crash after deleting, the ack (and so the next seq) must already be on disk.
                WriteState();
                while (_segments.Count > 1 && UpperBound(0) <= _acked) DeleteSegment(0);
            }
            else if (_stateDirty && DateTime.UtcNow - _stateWrittenUtc >= StateWriteInterval)
            {
                WriteState();
            }
        }
    }

    /// <summary>Makes sure future seqs are at least <paramref name="seq"/> (after enrollment or hello). Durable at once.</summary>
    public void EnsureNextSeqAtLeast(long seq)
    {
        lock (_lock)
        {
            if (seq > _nextSeq) RaiseFloor(seq);
        }
    }

    /// <summary>
    /// Copies stored records with seq above <paramref name="afterSeq"/> (and above the ack) into
    /// <paramref name="into"/>, in order: at most <paramref name="maxCount"/> and, after the first, no
    /// more than <paramref name="maxBytes"/> of JSON. Returns how many were added.
    /// </summary>
    public int Read(long afterSeq, int maxCount, int maxBytes, List<OutboxRecord> into)
    {
        lock (_lock)
        {
            var start = Math.Max(afterSeq, _acked) + 1;
            var index = _segments.FindLastIndex(s => s.FirstSeq <= start);
            if (index < 0) index = 0;
            var added = 0;
            var bytes = 0;
            for (; index < _segments.Count && added < maxCount; index++)
            {
                var segment = _segments[index];
                if (segment.LastSeq < start && index < _segments.Count - 1) continue;
                var offset = _cursorSegment == segment && _cursorLastSeq < start ? _cursorOffset : 0;
                using var stream = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
                using var buffered = new BufferedStream(stream, 64 * 1024);
                buffered.Position = offset;
                while (added < maxCount && offset < segment.Size)
                {
                    if (!SegmentFormat.TryRead(buffered, ref _readBuffer, out var seq, out var length, out var torn))
                    {
                        if (torn) Log.Warn($"outbox segment {Path.GetFileName(segment.Path)} is damaged at byte {offset}; skipping the rest of it");
                        break;
                    }

                    if (seq >= start)
                    {
                        if (added > 0 && bytes + length > maxBytes) return added;
                        into.Add(new OutboxRecord(seq, SegmentFormat.Payload(_readBuffer, length).ToArray()));
                        added++;
                        bytes += length;
                    }

                    offset += SegmentFormat.HeaderSize + length;
                    (_cursorSegment, _cursorOffset, _cursorLastSeq) = (segment, offset, seq);
                }
            }

            return added;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_active is not null)
            {
                _active.Flush(flushToDisk: true);
                _active.Dispose();
                _active = null;
            }

            if (_stateDirty) WriteState();
            _jsonWriter.Dispose();
        }
    }

    private void Load()
    {
        Directory.CreateDirectory(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ReadState();
        foreach (var path in Directory.EnumerateFiles(_dir, "*.seg"))
        {
            if (SegmentFormat.TryParseFileName(path, out var firstSeq))
            {
                var info = new FileInfo(path);
                _segments.Add(new Segment(path, firstSeq) { Size = info.Length, LastWriteUtc = info.LastWriteTimeUtc });
            }
        }

        _segments.Sort((a, b) => a.FirstSeq.CompareTo(b.FirstSeq));
        foreach (var path in Directory.EnumerateFiles(_dir, "*.tmp")) File.Delete(path);

        // Only the newest segment can end in a torn record: older ones were complete when the next began.
        // Their last seq is bounded by the next segment's first, which is all that deletion needs.
        for (var i = 0; i < _segments.Count - 1; i++) _segments[i].LastSeq = _segments[i + 1].FirstSeq - 1;
        if (_segments.Count > 0) RecoverTail(_segments[^1]);

        var lastInLog = _segments.Count > 0 ? _segments[^1].LastSeq : 0;
        _nextSeq = Math.Max(Math.Max(lastInLog, _acked) + 1, Math.Max(_floor, 1));
        while (_segments.Count > 0 && UpperBound(0) <= _acked) DeleteSegment(0);
        EnforceBounds(DateTime.UtcNow);

        // Keep appending to the newest segment after a restart instead of starting a tiny new one.
        if (_segments.Count > 0)
        {
            _active = new FileStream(_segments[^1].Path, FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete, 1);
            _activeOpenedUtc = DateTime.UtcNow;
        }
    }

    private void RecoverTail(Segment segment)
    {
        long valid = 0, last = 0;
        using (var stream = new FileStream(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1))
        {
            using var buffered = new BufferedStream(stream, 64 * 1024);
            bool torn;
            while (SegmentFormat.TryRead(buffered, ref _readBuffer, out var seq, out var length, out torn))
            {
                valid += SegmentFormat.HeaderSize + length;
                last = seq;
            }

            if (torn || valid < stream.Length)
            {
                Log.Warn($"outbox: cut a torn record off {Path.GetFileName(segment.Path)} ({stream.Length - valid} bytes; left by a crash)");
                stream.SetLength(valid);
            }
        }

        if (last == 0)
        {
            // Nothing whole in it: start over with the next append.
            File.Delete(segment.Path);
            _segments.Remove(segment);
            return;
        }

        segment.LastSeq = last;
        segment.Size = valid;
    }

    private void Roll(long firstSeq, DateTime now)
    {
        if (_active is not null)
        {
            _active.Flush(flushToDisk: true);
            _active.Dispose();
        }

        var path = Path.Combine(_dir, SegmentFormat.FileName(firstSeq));
        _active = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read | FileShare.Delete,
            BufferSize = 1,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        _activeOpenedUtc = now;
        _segments.Add(new Segment(path, firstSeq) { LastSeq = firstSeq - 1, LastWriteUtc = now });
        EnforceBounds(now);
    }

    /// <summary>Drops the oldest segments while the outbox is over its size or age bound; never the one being written.</summary>
    private void EnforceBounds(DateTime now)
    {
        while (_segments.Count > 1)
        {
            long total = 0;
            foreach (var s in _segments) total += s.Size;
            var oldest = _segments[0];
            var reason = total > _options.MaxBytes ? $"{total / 1024} KiB over the {_options.MaxBytes / 1024} KiB limit"
                : now - oldest.LastWriteUtc > _options.MaxAge ? $"samples older than {_options.MaxAge.TotalDays:0.#} days"
                : null;
            if (reason is null) return;

            var (count, first, last) = CountUnacked(oldest);
            DeleteSegment(0);
            if (count > 0)
                Log.Warn($"outbox full ({reason}): dropped {count} unsent samples, seq {first}..{last}");
        }
    }

    private (int Count, long First, long Last) CountUnacked(Segment segment)
    {
        var count = 0;
        long first = 0, last = 0;
        using var stream = new BufferedStream(new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1), 64 * 1024);
        while (SegmentFormat.TryRead(stream, ref _readBuffer, out var seq, out _, out _))
        {
            if (seq <= _acked) continue;
            if (count++ == 0) first = seq;
            last = seq;
        }

        return (count, first, last);
    }

    private long UpperBound(int index) =>
        index < _segments.Count - 1 ? _segments[index + 1].FirstSeq - 1 : _segments[index].LastSeq;

    private void DeleteSegment(int index)
    {
        var segment = _segments[index];
        if (index == _segments.Count - 1 && _active is not null)
        {
            _active.Dispose();
            _active = null;
        }

        if (_cursorSegment == segment) _cursorSegment = null;
        File.Delete(segment.Path);
        _segments.RemoveAt(index);
    }

    private void RaiseFloor(long seq)
    {
        _nextSeq = seq;
        _floor = seq;
        WriteState();
    }

    private void ReadState() => (_acked, _floor) = OutboxStateFile.Read(_dir);

    private void WriteState()
    {
        OutboxStateFile.Write(_dir, _acked, _floor);
        _stateWrittenUtc = DateTime.UtcNow;
        _stateDirty = false;
    }

    /// <summary>One segment file: the seq of its first record, the last seq written (or a bound) and its size.</summary>
    private sealed class Segment(string path, long firstSeq)
    {
        public string Path { get; } = path;
        public long FirstSeq { get; } = firstSeq;
        public long LastSeq { get; set; }
        public long Size { get; set; }
        public DateTime LastWriteUtc { get; set; }
    }
}
