using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>A command as the client sent it: the opcode decides the shape of the reply.</summary>
internal sealed record WireRequest(int RequestId, int OpCode, string Database, BsonDocument Command, bool MoreToCome);

/// <summary>
/// The two request formats a current driver sends (OP_MSG, and OP_QUERY for the legacy first handshake) and their
/// replies (OP_MSG, OP_REPLY). Layouts from the MongoDB wire protocol documentation: a 16-byte header
/// (messageLength, requestID, responseTo, opCode, little-endian int32s), then the opcode's body.
/// </summary>
internal static class WireMessages
{
    public const int OpReply = 1;
    public const int OpQuery = 2004;
    public const int OpCompressed = 2012;
    public const int OpMsg = 2013;

    public const int MaxMessageSize = 48_000_000;

    private const uint ChecksumPresent = 1;
    private const uint MoreToCome = 2;

    private static int s_nextRequestId;

    /// <summary>The next request, or null when the client closed the connection between messages.</summary>
    public static async Task<WireRequest?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[16];
        int first = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (first == 0) return null;
        if (first < header.Length) throw new EndOfStreamException("The connection closed inside a message header.");

        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        int requestId = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
        int opCode = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        if (length < 16 || length > MaxMessageSize) throw new InvalidDataException($"A message of {length} bytes.");

        var body = new byte[length - 16];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return opCode switch
        {
            OpMsg => ParseMsg(requestId, body),
            OpQuery => ParseQuery(requestId, body),
            _ => throw new InvalidDataException($"Opcode {opCode} is not spoken by this double."),
        };
    }

    public static async Task WriteReplyAsync(Stream stream, WireRequest request, BsonDocument reply, CancellationToken cancellationToken)
    {
        byte[] document = reply.ToBson();
        bool legacy = request.OpCode == OpQuery;
        int bodyLength = legacy ? 20 + document.Length : 5 + document.Length;
        var message = new byte[16 + bodyLength];
        var span = message.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span, message.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], Interlocked.Increment(ref s_nextRequestId));
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], request.RequestId);
        if (legacy)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[12..], OpReply);
            BinaryPrimitives.WriteInt32LittleEndian(span[16..], 8); // responseFlags: AwaitCapable, as servers set it
            BinaryPrimitives.WriteInt64LittleEndian(span[20..], 0); // cursorID
            BinaryPrimitives.WriteInt32LittleEndian(span[28..], 0); // startingFrom
            BinaryPrimitives.WriteInt32LittleEndian(span[32..], 1); // numberReturned
            document.CopyTo(span[36..]);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[12..], OpMsg);
            BinaryPrimitives.WriteUInt32LittleEndian(span[16..], 0); // flagBits
            span[20] = 0; // section kind 0: the body document
            document.CopyTo(span[21..]);
        }
        await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static WireRequest ParseMsg(int requestId, byte[] body)
    {
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(body);
        int end = body.Length - ((flags & ChecksumPresent) != 0 ? 4 : 0);
        int position = 4;
        BsonDocument? command = null;
        var sequences = new BsonDocument();
        while (position < end)
        {
            byte kind = body[position++];
            if (kind == 0)
            {
                int size = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(position));
                command = ReadDocument(body, position, size);
                position += size;
            }
            else if (kind == 1)
            {
                // A document sequence (insert's "documents"...): size, identifier, documents up to size.
                int size = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(position));
                int sectionEnd = position + size;
                int nameStart = position + 4;
                int nameEnd = Array.IndexOf(body, (byte)0, nameStart);
                string identifier = Encoding.UTF8.GetString(body, nameStart, nameEnd - nameStart);
                var documents = new BsonArray();
                for (int p = nameEnd + 1; p < sectionEnd;)
                {
                    int docSize = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(p));
                    documents.Add(ReadDocument(body, p, docSize));
                    p += docSize;
                }
                sequences[identifier] = documents;
                position = sectionEnd;
            }
            else
            {
                throw new InvalidDataException($"OP_MSG section kind {kind}.");
            }
        }
        if (command is null) throw new InvalidDataException("OP_MSG without a body section.");
        command.Merge(sequences, overwriteExistingElements: false);
        string database = command.GetValue("$db", "admin").ToString()!;
        return new WireRequest(requestId, OpMsg, database, command, (flags & MoreToCome) != 0);
    }

    private static WireRequest ParseQuery(int requestId, byte[] body)
    {
        // flags, fullCollectionName (cstring), numberToSkip, numberToReturn, query, [returnFieldsSelector]
        int nameEnd = Array.IndexOf(body, (byte)0, 4);
        string collection = Encoding.UTF8.GetString(body, 4, nameEnd - 4);
        int position = nameEnd + 1 + 8;
        int size = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(position));
        BsonDocument query = ReadDocument(body, position, size);
        // A legacy command may come wrapped with its read preference: {$query: {...}, $readPreference: {...}}.
        if (query.ElementCount > 0 && query.GetElement(0).Name is "$query" or "query" && query[0].IsBsonDocument)
            query = query[0].AsBsonDocument;
        int dot = collection.IndexOf('.', StringComparison.Ordinal);
        string database = dot > 0 ? collection[..dot] : collection;
        return new WireRequest(requestId, OpQuery, database, query, MoreToCome: false);
    }

    private static BsonDocument ReadDocument(byte[] buffer, int offset, int size)
    {
        using var memory = new MemoryStream(buffer, offset, size, writable: false);
        using var reader = new BsonBinaryReader(memory);
        return BsonSerializer.Deserialize<BsonDocument>(reader);
    }
}
