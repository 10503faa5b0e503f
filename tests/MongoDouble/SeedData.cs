using System;
using System.Collections.Generic;
using System.Linq;
using MongoDB.Bson;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>
/// The double's read-only data: database scdemo with people (the lab's five people), numbers (generated as they are
/// read, so a large collection costs no memory) and types (one document of each BSON type a user meets).
/// Any other collection exists and is empty, as an absent collection reads on a real server.
/// </summary>
internal sealed class SeedData
{
    public const string Database = "scdemo";

    private readonly int _numbers;
    private readonly IReadOnlyList<BsonDocument> _people = CreatePeople();
    private readonly IReadOnlyList<BsonDocument> _types = CreateTypes();

    public SeedData(int numbers) => _numbers = numbers;

    public IReadOnlyList<string> CollectionNames { get; } = new[] { "people", "numbers", "types" };

    /// <summary>The documents of a collection in natural order (fresh copies: a caller may project them).</summary>
    public IEnumerable<BsonDocument> Read(string database, string collection)
    {
        if (database != Database) return Enumerable.Empty<BsonDocument>();
        return collection switch
        {
            "people" => _people.Select(d => d.DeepClone().AsBsonDocument),
            "types" => _types.Select(d => d.DeepClone().AsBsonDocument),
            "numbers" => Numbers(_numbers),
            _ => Enumerable.Empty<BsonDocument>(),
        };
    }

    /// <summary>How many documents a collection holds, without reading it.</summary>
    public long Count(string database, string collection) => database != Database ? 0 : collection switch
    {
        "people" => _people.Count,
        "types" => _types.Count,
        "numbers" => _numbers,
        _ => 0,
    };

    private static IEnumerable<BsonDocument> Numbers(int count)
    {
        for (int i = 0; i < count; i++) yield return new BsonDocument { { "_id", i }, { "n", i } };
    }

    private static List<BsonDocument> CreatePeople() => new()
    {
        Person(1, "Ada Lovelace", "ada@example.test", "98.50", "2024-01-15T09:30:00Z", "first programmer", "London", "W1", "math", "poetry"),
        Person(2, "Alan Turing", "alan@example.test", "97.25", "2024-02-01T12:00:00Z", "codebreaker", "Manchester", "M13", "math", "cryptography"),
        Person(3, "Grace Hopper", "grace@example.test", "99.00", "2024-03-10T08:15:00Z", null, "Arlington", "22201", "compilers", "navy"),
        Person(4, "Zoë Müller", "zoe@example.test", "75.10", "2024-04-22T17:45:30Z", "unicode name", "Zürich", "8001", "unicode"),
        Person(5, "Linus Torvalds", "linus@example.test", "88.88", "2024-05-05T05:05:05Z", "kernel", "Portland", "97201", "kernel", "git"),
    };

    private static BsonDocument Person(int id, string name, string email, string score, string joined, string? note,
        string city, string zip, params string[] tags) => new()
    {
        // Fixed ObjectIds, so a test can name a document by its _id.
        { "_id", ObjectId.Parse($"65a000000000000000{id:x6}") },
        { "id", id },
        { "name", name },
        { "email", email },
        { "score", new BsonDecimal128(Decimal128.Parse(score)) },
        { "joined", new BsonDateTime(DateTime.Parse(joined, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal)) },
        { "note", note is null ? BsonNull.Value : new BsonString(note) },
        { "address", new BsonDocument { { "city", city }, { "zip", zip } } },
        { "tags", new BsonArray(tags) },
    };

    private static List<BsonDocument> CreateTypes() => new()
    {
        new BsonDocument
        {
            { "_id", ObjectId.Parse("65b000000000000000000001") },
            { "objectId", ObjectId.Parse("65b0000000000000000000ff") },
            { "decimal", new BsonDecimal128(Decimal128.Parse("12345678901234.5678")) },
            { "date", new BsonDateTime(new DateTime(2024, 2, 29, 12, 34, 56, 789, DateTimeKind.Utc)) },
            { "int32", -2147483648 },
            { "int64", -9223372036854775808L },
            { "double", 1.5 },
            { "boolTrue", true },
            { "boolFalse", false },
            { "null", BsonNull.Value },
            { "string", "tab\there, newline\nthere, quote \" and Zoë" },
            { "binary", new BsonBinaryData(new byte[] { 0xab, 0xcd, 0x00, 0xff }) },
            { "uuid", new BsonBinaryData(Guid.Parse("01234567-89ab-cdef-0123-456789abcdef"), GuidRepresentation.Standard) },
            { "document", new BsonDocument { { "a", 1 }, { "b", new BsonDocument("c", "nested") } } },
            { "array", new BsonArray { 1, "two", 3.0, BsonNull.Value, new BsonDocument("four", 4), new BsonArray { 5 } } },
            { "regex", new BsonRegularExpression("^a.*z$", "i") },
            { "timestamp", new BsonTimestamp(1_700_000_000, 1) },
        },
    };
}
