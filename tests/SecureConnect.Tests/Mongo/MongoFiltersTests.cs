using System;
using System.Collections;
using System.Collections.Specialized;
using System.Management.Automation;
using System.Text.RegularExpressions;
using MongoDB.Bson;
using SecureConnect.Common;
using SecureConnect.Sql.Mongo;
using Xunit;

namespace SecureConnect.Tests.Mongo;

/// <summary>-Filter, -Projection and -Sort as PowerShell values, converted to BSON.</summary>
public sealed class MongoFiltersTests
{
    [Fact]
    public void NestedHashtables_AreDocuments_AndDollarOperatorsPassThrough()
    {
        var filter = new Hashtable { ["status"] = "open", ["total"] = new Hashtable { ["$gt"] = 100 }, ["tags"] = new Hashtable { ["$in"] = new object[] { "a", 2L } } };

        BsonDocument document = MongoFilters.ToDocument(filter, "Filter");

        Assert.Equal("open", document["status"].AsString);
        Assert.Equal(new BsonDocument("$gt", 100), document["total"]);
        Assert.Equal(new BsonArray { "a", new BsonInt64(2) }, document["tags"]["$in"]);
    }

    [Fact]
    public void DotNetValues_MapToTheirBsonTypes()
    {
        var when = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        Guid guid = Guid.NewGuid();
        var filter = new OrderedDictionary
        {
            ["i"] = 1, ["l"] = 2L, ["d"] = 1.5, ["m"] = 9.99m, ["b"] = true, ["n"] = null, ["t"] = when,
            ["o"] = new DateTimeOffset(2024, 1, 2, 5, 4, 5, TimeSpan.FromHours(2)), ["g"] = guid, ["bytes"] = new byte[] { 1, 2 },
            ["r"] = new Regex("^a", RegexOptions.IgnoreCase), ["e"] = DayOfWeek.Monday,
        };

        BsonDocument document = MongoFilters.ToDocument(filter, "Filter");

        Assert.Equal(BsonType.Int32, document["i"].BsonType);
        Assert.Equal(BsonType.Int64, document["l"].BsonType);
        Assert.Equal(BsonType.Double, document["d"].BsonType);
        Assert.Equal(Decimal128.Parse("9.99"), document["m"].AsDecimal128);
        Assert.True(document["b"].AsBoolean);
        Assert.Equal(BsonNull.Value, document["n"]);
        Assert.Equal(when, document["t"].ToUniversalTime());
        Assert.Equal(when, document["o"].ToUniversalTime());
        Assert.Equal(BsonBinarySubType.UuidStandard, document["g"].AsBsonBinaryData.SubType);
        Assert.Equal(guid, document["g"].AsBsonBinaryData.ToGuid(GuidRepresentation.Standard));
        Assert.Equal(new byte[] { 1, 2 }, document["bytes"].AsByteArray);
        Assert.Equal(new BsonRegularExpression("^a", "i"), document["r"]);
        Assert.Equal("Monday", document["e"].AsString);
    }

    [Fact]
    public void ExtendedJsonWrappers_AreTheValuesTheyStandFor_AndAPlainStringIsNeverAnObjectId()
    {
        var filter = new Hashtable
        {
            ["_id"] = new Hashtable { ["$oid"] = "65f0c3a2e4b0a1b2c3d4e5f6" },
            ["text"] = "65f0c3a2e4b0a1b2c3d4e5f6",
            ["big"] = new Hashtable { ["$numberLong"] = "5" },
            ["at"] = new Hashtable { ["$date"] = "2024-01-01T00:00:00Z" },
            ["ts"] = new Hashtable { ["$timestamp"] = new Hashtable { ["i"] = 2, ["t"] = 1 } },
        };

        BsonDocument document = MongoFilters.ToDocument(filter, "Filter");

        Assert.Equal(ObjectId.Parse("65f0c3a2e4b0a1b2c3d4e5f6"), document["_id"].AsObjectId);
        Assert.Equal(BsonType.String, document["text"].BsonType);
        Assert.Equal(new BsonInt64(5), document["big"]);
        Assert.Equal(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), document["at"].ToUniversalTime());
        Assert.Equal(new BsonTimestamp(1, 2), document["ts"]);
    }

    [Fact]
    public void APSCustomObject_IsADocument_InItsPropertyOrder()
    {
        var shape = new PSObject();
        shape.Properties.Add(new PSNoteProperty("b", 1));
        shape.Properties.Add(new PSNoteProperty("a", "x"));

        BsonDocument document = MongoFilters.ToDocument(shape, "Filter");

        Assert.Equal("{ \"b\" : 1, \"a\" : \"x\" }", document.ToJson());
    }

    [Fact]
    public void JsonText_IsReadAsExtendedJson()
    {
        BsonDocument document = MongoFilters.ToDocument("{ \"_id\": { \"$oid\": \"65f0c3a2e4b0a1b2c3d4e5f6\" } }", "Filter");

        Assert.Equal(BsonType.ObjectId, document["_id"].BsonType);
    }

    [Fact]
    public void Sort_KeepsTheOrderOfAnOrderedDictionary_AndRefusesAHashtableOfSeveralKeys()
    {
        var ordered = new OrderedDictionary { ["joined"] = -1, ["name"] = 1 };

        Assert.Equal("{ \"joined\" : -1, \"name\" : 1 }", MongoFilters.ToSort(ordered).ToJson());
        Assert.Equal("{ \"joined\" : -1 }", MongoFilters.ToSort(new Hashtable { ["joined"] = -1 }).ToJson());
        var error = Assert.Throws<SecureConnectException>(() => MongoFilters.ToSort(new Hashtable { ["joined"] = -1, ["name"] = 1 }));
        Assert.Equal(ErrorIds.InvalidParameterValue, error.ErrorId);
        Assert.Contains("[ordered]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AValueWithNoBsonForm_OrBadExtendedJson_IsInvalidParameterValue()
    {
        var noForm = Assert.Throws<SecureConnectException>(() => MongoFilters.ToDocument(new Hashtable { ["x"] = new object() }, "Filter"));
        var badOid = Assert.Throws<SecureConnectException>(() => MongoFilters.ToDocument(new Hashtable { ["_id"] = new Hashtable { ["$oid"] = "nothex" } }, "Filter"));
        var notADocument = Assert.Throws<SecureConnectException>(() => MongoFilters.ToDocument(42, "Projection"));

        Assert.Equal(ErrorIds.InvalidParameterValue, noForm.ErrorId);
        Assert.Equal(ErrorIds.InvalidParameterValue, badOid.ErrorId);
        Assert.Equal(ErrorIds.InvalidParameterValue, notADocument.ErrorId);
        Assert.Contains("-Projection", notADocument.Message, StringComparison.Ordinal);
    }
}
