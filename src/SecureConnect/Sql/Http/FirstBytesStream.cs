using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SecureConnect.Sql.Http;

/// <summary>Remembers the first bytes the server sent, to tell a plain HTTP reply to the ClientHello from a broken TLS.</summary>
internal sealed class FirstBytesStream : Stream
{
    private readonly Stream _inner;
    private readonly byte[] _first = new byte[64];
    private int _firstCount;

    public FirstBytesStream(Stream inner)
    {
        _inner = inner;
    }

    public long BytesRead { get; private set; }

    public bool StartsWith(string prefix) =>
        _firstCount >= prefix.Length && Encoding.ASCII.GetString(_first, 0, prefix.Length) == prefix;

    public string FirstLine()
    {
        string text = Encoding.ASCII.GetString(_first, 0, _firstCount);
        int end = text.IndexOfAny(new[] { '\r', '\n' });
        return end < 0 ? text : text[..end];
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => Remember(buffer.AsSpan(offset, _inner.Read(buffer, offset, count)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Remember(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private int Remember(ReadOnlySpan<byte> read)
    {
        int keep = Math.Min(read.Length, _first.Length - _firstCount);
        read[..keep].CopyTo(_first.AsSpan(_firstCount));
        _firstCount += keep;
        BytesRead += read.Length;
        return read.Length;
    }
}
