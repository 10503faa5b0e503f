using System;
using System.Collections.ObjectModel;
using System.Data;
using System.Linq;
using System.Management.Automation;
using MongoDB.Bson;
using SecureConnect.Sql.Mongo;
using Xunit;

namespace SecureConnect.Tests.Mongo;

/// <summary>BSON values and documents as the objects Invoke-SecureQuery writes, and what PowerShell makes of them.</summary>
public sealed class MongoValuesTests
{
    [Fact]
    public void ObjectId_IsItsHexDigits()
    {
        var id = ObjectId.Parse("65f0c3a2e4b0a1b2c3d4e5f6");

        Assert.Equal("65f0c3a2e4b0a1b2c3d4e5f6", MongoValues.ToDotNet(id));
    }

    [Fact]
    public void Decimal128_IsADecimal_OrItsTextBeyondDecimalsRange()
    {
        Assert.Equal(12.345m, MongoValues.ToDotNet(new BsonDecimal128(Decimal128.Parse("12.345"))));
        Assert.Equal("NaN", MongoValues.ToDotNet(new BsonDecimal128(Decimal128.QNaN)));
        Assert.Equal("1E+6000", MongoValues.ToDotNet(new BsonDecimal128(Decimal128.Parse("1E+6000"))));
    }

    [Fact]
    public void Date_IsAUtcDateTime()
    {
        var when = new DateTime(2024, 2, 29, 13, 14, 15, 678, DateTimeKind.Utc);

        var value = Assert.IsType<DateTime>(MongoValues.ToDotNet(new BsonDateTime(when)));

        Assert.Equal(when, value);
        Assert.Equal(DateTimeKind.Utc, value.Kind);
    }

    [Fact]
    public void Scalars_AreTheirNaturalTypes()
    {
        Assert.Equal(7, MongoValues.ToDotNet(new BsonInt32(7)));
        Assert.Equal(7L, MongoValues.ToDotNet(new BsonInt64(7)));
        Assert.Equal(1.5, MongoValues.ToDotNet(new BsonDouble(1.5)));
        Assert.Equal(true, MongoValues.ToDotNet(BsonBoolean.True));
        Assert.Equal("text", MongoValues.ToDotNet(new BsonString("text")));
        Assert.Null(MongoValues.ToDotNet(BsonNull.Value));
        Assert.Null(MongoValues.ToDotNet(BsonUndefined.Value));
    }

    [Fact]
    public void Binary_IsBytes_AndAStandardUuidAGuid()
    {
        Guid guid = Guid.Parse("0e0c7a4a-35b3-4c1f-9d4e-3b1c9a7e2f10");

        Assert.Equal(guid, MongoValues.ToDotNet(new BsonBinaryData(guid, GuidRepresentation.Standard)));
        Assert.Equal(new byte[] { 1, 2, 3 }, MongoValues.ToDotNet(new BsonBinaryData(new byte[] { 1, 2, 3 })));

        // The legacy UUID subtype stays bytes: its byte order depends on the driver that wrote it.
        byte[] legacy = guid.ToByteArray();
        Assert.Equal(legacy, MongoValues.ToDotNet(new BsonBinaryData(legacy, BsonBinarySubType.UuidLegacy)));
    }

    [Fact]
    public void Timestamp_IsItsSixtyFourBitValue_AndRegexItsText()
    {
        Assert.Equal((ulong)((5L << 32) | 3), MongoValues.ToDotNet(new BsonTimestamp(5, 3)));
        Assert.Equal("/^ab.c/i", MongoValues.ToDotNet(new BsonRegularExpression("^ab.c", "i")));
    }

    [Fact]
    public void Document_IsARow_FieldsInDocumentOrder_NestedObjectsAndArrays()
    {
        BsonDocument document = BsonDocument.Parse("{ \"z\": 1, \"a\": { \"city\": \"Bern\", \"zip\": null }, \"tags\": [ \"x\", { \"k\": 2 } ], \"m\": 3 }");

        (string[] names, object?[] values) = MongoValues.ToRow(document);

        Assert.Equal(new[] { "z", "a", "tags", "m" }, names);
        var address = Assert.IsType<PSObject>(values[1]);
        Assert.Equal(new[] { "city", "zip" }, address.Properties.Select(p => p.Name));
        Assert.Equal("Bern", address.Properties["city"].Value);
        Assert.Null(address.Properties["zip"].Value);
        var tags = Assert.IsType<object?[]>(values[2]);
        Assert.Equal("x", tags[0]);
        Assert.Equal(2, Assert.IsType<PSObject>(tags[1]).Properties["k"].Value);
    }

    [Fact]
    public void NamesThatDifferOnlyInCase_AreMadeUnique()
    {
        (string[] names, _) = MongoValues.ToRow(BsonDocument.Parse("{ \"Name\": 1, \"name\": 2 }"));

        Assert.Equal(new[] { "Name", "name1" }, names);
    }

    [Fact]
    public void DataTable_HasTheUnionOfTheFields_MissingOnesDBNull()
    {
        long rows = 0;
        var documents = new[] { BsonDocument.Parse("{ \"_id\": 1, \"name\": \"a\" }"), BsonDocument.Parse("{ \"_id\": 2, \"email\": \"b@x\", \"name\": \"b\" }") };

        DataTable table = MongoTables.Load(documents, ref rows);

        Assert.Equal(2, rows);
        Assert.Equal(new[] { "_id", "name", "email" }, table.Columns.Cast<DataColumn>().Select(c => c.ColumnName));
        Assert.Equal(typeof(int), table.Columns["_id"]!.DataType);
        Assert.Equal(DBNull.Value, table.Rows[0]["email"]);
        Assert.Equal("b@x", table.Rows[1]["email"]);
    }

    [Fact]
    public void ConvertToJson_OfANestedDocument_RoundTrips()
    {
        const string json = "{\"name\":\"a\",\"address\":{\"city\":\"Bern\",\"zip\":null},\"tags\":[\"x\",\"y\"],\"orders\":[{\"n\":1},{\"n\":2}],\"none\":null,\"ok\":true}";
        PSObject row = MongoValues.ToObject(BsonDocument.Parse(json));

        using PowerShell shell = PowerShell.Create();
        Collection<PSObject> result = shell.AddCommand("ConvertTo-Json").AddParameter("InputObject", row).AddParameter("Depth", 10).AddParameter("Compress").Invoke();

        Assert.Equal(json, Assert.Single(result).BaseObject);
    }

    [Fact]
    public void ExportCsv_OfFlatDocuments_HasTheirFieldsAsColumns()
    {
        PSObject[] rows =
        {
            MongoValues.ToObject(new BsonDocument { { "_id", ObjectId.Parse("65f0c3a2e4b0a1b2c3d4e5f6") }, { "name", "a" }, { "total", new BsonDecimal128(Decimal128.Parse("9.5")) } }),
            MongoValues.ToObject(new BsonDocument { { "_id", ObjectId.Parse("65f0c3a2e4b0a1b2c3d4e5f7") }, { "name", "b" }, { "total", new BsonDecimal128(Decimal128.Parse("10")) } }),
        };

        using PowerShell shell = PowerShell.Create();
        string[] lines = shell.AddCommand("ConvertTo-Csv").Invoke(rows).Select(o => (string)o.BaseObject).ToArray();

        Assert.Equal(new[] { "\"_id\",\"name\",\"total\"", "\"65f0c3a2e4b0a1b2c3d4e5f6\",\"a\",\"9.5\"", "\"65f0c3a2e4b0a1b2c3d4e5f7\",\"b\",\"10\"" }, lines);
    }
}
