using System;
using System.Collections;
using System.Collections.Specialized;
using MongoDB.Bson;
using SecureConnect.Common;
using SecureConnect.Sql;
using SecureConnect.Sql.Mongo;
using Xunit;

namespace SecureConnect.Tests.Mongo;

/// <summary>The commands Invoke-SecureQuery sends to MongoDB: -Query's JSON, and the find of -Collection.</summary>
public sealed class MongoCommandsTests
{
    [Theory]
    [InlineData("{ \"find\": \"numbers\", \"batchSize\": 1000 }", 1000)]
    [InlineData("{ \"aggregate\": \"numbers\", \"pipeline\": [], \"cursor\": { \"batchSize\": 50 } }", 50)]
    [InlineData("{ \"find\": \"numbers\" }", null)]
    [InlineData("{ \"find\": \"numbers\", \"batchSize\": 0 }", null)]
    [InlineData("{ \"aggregate\": \"numbers\", \"pipeline\": [], \"cursor\": {} }", null)]
    public void TheCommandsBatchSize_HoldsForItsGetMores(string command, int? expected) =>
        Assert.Equal(expected, MongoCursorReader.BatchSize(BsonDocument.Parse(command)));

    [Fact]
    public void Query_IsOneJsonDocument_ExtendedJsonIncluded()
    {
        BsonDocument command = MongoCommands.Parse("{ \"find\": \"orders\", \"filter\": { \"placed\": { \"$gte\": { \"$date\": \"2024-01-01T00:00:00Z\" } } } }");

        Assert.Equal("find", command.GetElement(0).Name);
        Assert.Equal(BsonType.DateTime, command["filter"]["placed"]["$gte"].BsonType);
    }

    [Theory]
    [InlineData("select 1")]
    [InlineData("{ \"find\": ")]
    [InlineData("{ }")]
    [InlineData("{ \"ping\": 1 } { \"ping\": 1 }")]
    [InlineData("{ \"find\": \"orders\", \"$db\": \"other\" }")]
    [InlineData("{ \"ping\": 1, \"lsid\": { \"id\": 1 } }")]
    public void AQueryThatIsNotOneCommand_IsInvalidQuery(string text)
    {
        var error = Assert.Throws<SecureConnectException>(() => MongoCommands.Parse(text));

        Assert.Equal(ErrorIds.InvalidQuery, error.ErrorId);
    }

    [Fact]
    public void Collection_IsAFindCommand_WithFilterProjectionSortLimitAndTheTimeLimit()
    {
        var find = new FindRequest("orders", new Hashtable { ["status"] = "open" }, new Hashtable { ["name"] = 1 }, new OrderedDictionary { ["joined"] = -1, ["name"] = 1 }, 10);

        BsonDocument command = MongoCommands.Find(find, 30000);

        Assert.Equal(
            "{ \"find\" : \"orders\", \"filter\" : { \"status\" : \"open\" }, \"projection\" : { \"name\" : 1 }, \"sort\" : { \"joined\" : -1, \"name\" : 1 }, \"limit\" : 10, \"maxTimeMS\" : 30000 }",
            command.ToJson());
    }

    [Fact]
    public void TheTimeLimit_GoesOnlyToCommandsThatTakeIt_AndNeverOverridesTheCommandsOwn()
    {
        BsonDocument aggregate = MongoCommands.Parse("{ \"aggregate\": \"orders\", \"pipeline\": [], \"cursor\": {} }");
        BsonDocument ping = MongoCommands.Parse("{ \"ping\": 1 }");
        BsonDocument own = MongoCommands.Parse("{ \"count\": \"orders\", \"maxTimeMS\": 5 }");

        MongoCommands.LimitTime(aggregate, 1000);
        MongoCommands.LimitTime(ping, 1000);
        MongoCommands.LimitTime(own, 1000);

        Assert.Equal(1000, aggregate["maxTimeMS"].AsInt32);
        Assert.False(ping.Contains("maxTimeMS"));
        Assert.Equal(5, own["maxTimeMS"].AsInt32);
    }

    [Fact]
    public void Parameters_AreRefusedBeforeConnecting()
    {
        var request = new QueryRequest("{ \"ping\": 1 }", new Hashtable { ["status"] = "open" }, ResultShape.Rows, null);

        var error = Assert.Throws<SecureConnectException>(() => new MongoEngine().CheckQuery(request));

        Assert.Equal(ErrorIds.ParameterNotApplicable, error.ErrorId);
    }

    [Fact]
    public void CheckQuery_RefusesAQueryThatIsNotJson_BeforeConnecting()
    {
        var error = Assert.Throws<SecureConnectException>(() => new MongoEngine().CheckQuery(new QueryRequest("select * from orders", null, ResultShape.Rows, null)));

        Assert.Equal(ErrorIds.InvalidQuery, error.ErrorId);
        Assert.Contains("-Collection", error.Message, StringComparison.Ordinal);
    }
}
