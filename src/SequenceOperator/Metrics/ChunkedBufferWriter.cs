using System.Buffers;

namespace SequenceOperator.Metrics;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> of bytes made of 32 KB chunks: a scrape page of several megabytes needs no large
/// array, no copies while it grows, and nothing kept between scrapes (the chunks are short-lived, small objects).
/// </summary>
internal sealed class ChunkedBufferWriter : IBufferWriter<byte>
{
    private const int ChunkSize = 32 * 1024;

    private readonly List<ReadOnlyMemory<byte>> _full = [];
    private byte[] _current = [];
    private int _used;

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _current.Length - _used);
        _used += count;
        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _current.AsMemory(_used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _current.AsSpan(_used);
    }

    /// <summary>The written bytes, in order.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Chunks => _used == 0 ? _full : _full.Append(_current.AsMemory(0, _used));

    /// <summary>Writes everything to <paramref name="destination"/>, chunk by chunk.</summary>
    public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        foreach (var chunk in Chunks)
        {
            await destination.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A copy of everything written, in one array.</summary>
    public byte[] ToArray()
    {
        var result = new byte[Length];
        var at = 0;
        foreach (var chunk in Chunks)
        {
            chunk.Span.CopyTo(result.AsSpan(at));
            at += chunk.Length;
        }

        return result;
    }

    private void Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_current.Length - _used >= needed)
        {
            return;
        }

        if (_used > 0)
        {
            _full.Add(_current.AsMemory(0, _used));
        }

        _current = new byte[Math.Max(ChunkSize, needed)];
        _used = 0;
    }
}

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that gzips what is written into a <see cref="ChunkedBufferWriter"/> as it goes
/// (through one small staging buffer), so a compressed page never exists uncompressed in full. Dispose completes
/// the gzip stream.
/// </summary>
internal sealed class GzipBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int StagingSize = 16 * 1024;
    private readonly System.IO.Compression.GZipStream _gzip;
    private readonly ArrayBufferWriter<byte> _staging = new(StagingSize);

    public GzipBufferWriter(ChunkedBufferWriter destination) =>
        _gzip = new System.IO.Compression.GZipStream(new BufferWriterStream(destination), System.IO.Compression.CompressionLevel.Fastest);

    public void Advance(int count) => _staging.Advance(count);

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        MakeRoom(sizeHint);
        return _staging.GetMemory(sizeHint);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        MakeRoom(sizeHint);
        return _staging.GetSpan(sizeHint);
    }

    public void Dispose()
    {
        Compress();
        _gzip.Dispose();
    }

    // Compress what is staged rather than let the staging buffer grow (it grows only for a single larger request).
    private void MakeRoom(int sizeHint)
    {
        if (_staging.FreeCapacity < Math.Max(sizeHint, 1))
        {
            Compress();
        }
    }

    private void Compress()
    {
        if (_staging.WrittenCount > 0)
        {
            _gzip.Write(_staging.WrittenSpan);
            _staging.ResetWrittenCount();
        }
    }

    /// <summary>The write side of a stream, into a buffer writer (what GZipStream writes to).</summary>
    private sealed class BufferWriterStream(IBufferWriter<byte> destination) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => destination.Write(buffer);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
