using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Security;
using SecureConnect.Common;
using SecureConnect.Sql;
using Xunit;

namespace SecureConnect.Tests.Sql;

public sealed class QueryParametersTests
{
    public static readonly TheoryData<IntegrationType> AllEngines = new()
    {
        IntegrationType.PostgreSQL, IntegrationType.Redshift, IntegrationType.MySQL, IntegrationType.MariaDB, IntegrationType.MindsDB, IntegrationType.SqlServer,
    };

    public static readonly TheoryData<IntegrationType> EnginesWithoutArrays = new()
    {
        IntegrationType.Redshift, IntegrationType.MySQL, IntegrationType.MariaDB, IntegrationType.MindsDB, IntegrationType.SqlServer,
    };

    public static readonly TheoryData<IntegrationType> MySqlFamily = new() { IntegrationType.MySQL, IntegrationType.MariaDB, IntegrationType.MindsDB };

    public static readonly TheoryData<IntegrationType> EnginesWithoutUnsigned = new() { IntegrationType.PostgreSQL, IntegrationType.Redshift, IntegrationType.SqlServer };

    private static object Convert(IntegrationType engine, object? value) => QueryParameters.ToEngineValue(engine, "@v", value);

    private static SecureConnectException Refused(IntegrationType engine, object? value, string name = "@v")
    {
        var error = Assert.Throws<SecureConnectException>(() => QueryParameters.ToEngineValue(engine, name, value));
        Assert.Equal("InvalidParameterValue", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(name, error.Target);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        return error;
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public void Null_IsDBNull(IntegrationType engine)
    {
        Assert.Same(DBNull.Value, Convert(engine, null));
        Assert.Same(DBNull.Value, Convert(engine, DBNull.Value));
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public void CommonScalars_PassUnchanged(IntegrationType engine)
    {
        var bytes = new byte[] { 1, 2, 255 };
        object[] values =
        {
            "Zoë", true, 42, 42L, (short)42, 1.5f, 2.25d, 97.25m, new DateTime(2024, 3, 10, 8, 15, 0, DateTimeKind.Utc),
            Guid.Parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), bytes, TimeSpan.FromMinutes(90),
        };
        foreach (object value in values)
        {
            object sent = Convert(engine, value);
            Assert.Equal(value.GetType(), sent.GetType());
            Assert.Equal(value, sent);
        }

        Assert.Same(bytes, Convert(engine, bytes));
    }

    [Theory]
    [MemberData(nameof(MySqlFamily))]
    public void Unsigned_PassUnchanged_WhereTheEngineHasUnsignedTypes(IntegrationType engine)
    {
        foreach (object value in new object[] { (byte)200, (sbyte)-5, (ushort)65535, 4_000_000_000u, ulong.MaxValue })
        {
            object sent = Convert(engine, value);
            Assert.Equal(value.GetType(), sent.GetType());
            Assert.Equal(value, sent);
        }
    }

    [Theory]
    [MemberData(nameof(EnginesWithoutUnsigned))]
    public void Unsigned_BecomeTheSignedTypeThatHoldsThem_ElsewhereAndNumericBeyondBigint(IntegrationType engine)
    {
        Assert.Equal((short)-5, Convert(engine, (sbyte)-5));
        Assert.Equal((short)200, Convert(engine, (byte)200));
        Assert.Equal(65535, Convert(engine, (ushort)65535));
        Assert.Equal(4_000_000_000L, Convert(engine, 4_000_000_000u));
        Assert.Equal(5L, Convert(engine, 5ul));
        Assert.Equal(long.MaxValue, Convert(engine, (ulong)long.MaxValue));
        Assert.Equal(18446744073709551615m, Convert(engine, ulong.MaxValue));
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public void Enum_IsSentAsItsName(IntegrationType engine)
    {
        Assert.Equal("Monday", Convert(engine, DayOfWeek.Monday));
        Assert.Equal("ReadOnly, Archive", Convert(engine, FileAttributes.ReadOnly | FileAttributes.Archive));
    }

    [Theory]
    [InlineData(IntegrationType.PostgreSQL)]
    [InlineData(IntegrationType.Redshift)]
    public void DateTimeOffset_IsTheSameInstantInUtc_OnThePostgreSqlProtocol(IntegrationType engine)
    {
        // Npgsql writes timestamptz only from offset 0; the instant is what the value means.
        var at = new DateTimeOffset(2024, 3, 10, 10, 15, 0, TimeSpan.FromHours(2));
        var sent = Assert.IsType<DateTimeOffset>(Convert(engine, at));
        Assert.Equal(TimeSpan.Zero, sent.Offset);
        Assert.Equal(at.UtcDateTime, sent.UtcDateTime);
    }

    [Theory]
    [InlineData(IntegrationType.MySQL)]
    [InlineData(IntegrationType.MariaDB)]
    [InlineData(IntegrationType.MindsDB)]
    [InlineData(IntegrationType.SqlServer)]
    public void DateTimeOffset_KeepsItsOffset_Elsewhere(IntegrationType engine)
    {
        var at = new DateTimeOffset(2024, 3, 10, 10, 15, 0, TimeSpan.FromHours(2));
        Assert.Equal(TimeSpan.FromHours(2), Assert.IsType<DateTimeOffset>(Convert(engine, at)).Offset);
    }

    [Fact]
    public void PostgreSql_ObjectArrayOfOneType_IsATypedArray()
    {
        Assert.Equal(new[] { 1, 2, 3 }, Assert.IsType<int[]>(Convert(IntegrationType.PostgreSQL, new object[] { 1, 2, 3 })));
        Assert.Equal(new[] { "a", "b" }, Assert.IsType<string[]>(Convert(IntegrationType.PostgreSQL, new object[] { "a", "b" })));
        Assert.Equal(new[] { 1.5m }, Assert.IsType<decimal[]>(Convert(IntegrationType.PostgreSQL, new object[] { 1.5m })));
        Guid id = Guid.NewGuid();
        Assert.Equal(new[] { id }, Assert.IsType<Guid[]>(Convert(IntegrationType.PostgreSQL, new object[] { id })));
        Assert.Equal(new[] { "Monday", "Friday" }, Assert.IsType<string[]>(Convert(IntegrationType.PostgreSQL, new object[] { DayOfWeek.Monday, DayOfWeek.Friday })));
        byte[][] blobs = Assert.IsType<byte[][]>(Convert(IntegrationType.PostgreSQL, new object[] { new byte[] { 1 }, new byte[] { 2, 3 } }));
        Assert.Equal(new byte[] { 2, 3 }, blobs[1]);
    }

    [Fact]
    public void PostgreSql_TypedArraysAndLists_AreTypedArrays_WithUnsignedElementsMadeSigned()
    {
        Assert.Equal(new[] { 4, 5 }, Assert.IsType<int[]>(Convert(IntegrationType.PostgreSQL, new[] { 4, 5 })));
        Assert.Equal(new[] { "x" }, Assert.IsType<string[]>(Convert(IntegrationType.PostgreSQL, new[] { "x" })));
        Assert.Equal(new[] { 1L, 4_000_000_000L }, Assert.IsType<long[]>(Convert(IntegrationType.PostgreSQL, new[] { 1u, 4_000_000_000u })));
        Assert.Equal(new[] { 3L, 4L }, Assert.IsType<long[]>(Convert(IntegrationType.PostgreSQL, new ulong[] { 3, 4 })));
        Assert.Equal(new[] { 1m, 18446744073709551615m }, Assert.IsType<decimal[]>(Convert(IntegrationType.PostgreSQL, new[] { 1ul, ulong.MaxValue })));
        Assert.Equal(new[] { 7, 8 }, Assert.IsType<int[]>(Convert(IntegrationType.PostgreSQL, new List<int> { 7, 8 })));
        Assert.Equal(new[] { "y", "z" }, Assert.IsType<string[]>(Convert(IntegrationType.PostgreSQL, new ArrayList { "y", "z" })));
        DateTimeOffset[] instants = Assert.IsType<DateTimeOffset[]>(Convert(IntegrationType.PostgreSQL, new object[] { new DateTimeOffset(2024, 3, 10, 10, 15, 0, TimeSpan.FromHours(2)) }));
        Assert.Equal(TimeSpan.Zero, instants[0].Offset);
    }

    [Fact]
    public void PostgreSql_IntegerElementsOfDifferentWidths_WidenToBigint_AndToNumericWithDecimals()
    {
        // PowerShell makes 3000000000 a long beside int elements: @(4, 3000000000).
        Assert.Equal(new[] { 4L, 3_000_000_000L }, Assert.IsType<long[]>(Convert(IntegrationType.PostgreSQL, new object[] { 4, 3_000_000_000L })));
        Assert.Equal(new[] { 1L, 2L }, Assert.IsType<long[]>(Convert(IntegrationType.PostgreSQL, new object[] { (short)1, 2u })));
        Assert.Equal(new[] { 1m, 2.5m }, Assert.IsType<decimal[]>(Convert(IntegrationType.PostgreSQL, new object[] { 1, 2.5m })));
    }

    [Fact]
    public void PostgreSql_NullElements_AreNullElements()
    {
        int?[] ids = Assert.IsType<int?[]>(Convert(IntegrationType.PostgreSQL, new object?[] { 1, null, 3 }));
        Assert.Equal(new int?[] { 1, null, 3 }, ids);
        Assert.Equal(new[] { "a", null }, Assert.IsType<string[]>(Convert(IntegrationType.PostgreSQL, new object?[] { "a", DBNull.Value })));
    }

    [Fact]
    public void PostgreSql_EmptyTypedArray_KeepsItsType_EmptyObjectArrayIsRefused()
    {
        Assert.Empty(Assert.IsType<int[]>(Convert(IntegrationType.PostgreSQL, Array.Empty<int>())));
        Assert.Empty(Assert.IsType<long[]>(Convert(IntegrationType.PostgreSQL, Array.Empty<uint>())));
        Assert.Contains("[int[]]", Refused(IntegrationType.PostgreSQL, Array.Empty<object>()).Message, StringComparison.Ordinal);
        Assert.Contains("[int[]]", Refused(IntegrationType.PostgreSQL, new object?[] { null, null }).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PostgreSql_MixedArray_IsRefused_NamingTheElementTypes()
    {
        SecureConnectException error = Refused(IntegrationType.PostgreSQL, new object[] { 1, "two" }, "@ids");
        Assert.Contains("System.Object[]", error.Message, StringComparison.Ordinal);
        Assert.Contains("System.Int32", error.Message, StringComparison.Ordinal);
        Assert.Contains("System.String", error.Message, StringComparison.Ordinal);
        Assert.Contains("System.Double", Refused(IntegrationType.PostgreSQL, new object[] { 1, 2.5d }).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PostgreSql_ArraysOfWhatHasNoSqlForm_AreRefused()
    {
        Assert.Contains("System.Object[]", Refused(IntegrationType.PostgreSQL, new object[] { new object[] { 1 }, new object[] { 2 } }).Message, StringComparison.Ordinal);
        Assert.Contains("System.Int32[,]", Refused(IntegrationType.PostgreSQL, new int[2, 2]).Message, StringComparison.Ordinal);
        Assert.Contains("System.Collections.Hashtable", Refused(IntegrationType.PostgreSQL, new object[] { new Hashtable() }).Message, StringComparison.Ordinal);
        Assert.Contains("secret", Refused(IntegrationType.PostgreSQL, new object[] { new SecureString() }).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(EnginesWithoutArrays))]
    public void Arrays_AreRefused_WhereTheEngineHasNone_SayingWhatToDoInstead(IntegrationType engine)
    {
        foreach (object array in new object[] { new object[] { 1, 2, 3 }, new[] { 1, 2, 3 }, new[] { "a" }, new List<long> { 1 } })
        {
            SecureConnectException error = Refused(engine, array, "@ids");
            Assert.Contains(array.GetType().FullName!, error.Message, StringComparison.Ordinal);
            Assert.Contains("one parameter per value", error.Message, StringComparison.Ordinal);
            Assert.Contains(engine.ToString(), error.Message, StringComparison.Ordinal);
        }

        if (engine == IntegrationType.SqlServer)
        {
            Assert.Contains("table-valued parameters are not supported", Refused(engine, new[] { 1 }).Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public void Hashtable_IsRefused_WithTheAcceptedTypes(IntegrationType engine)
    {
        SecureConnectException error = Refused(engine, new Hashtable { ["a"] = 1 }, "@filter");
        Assert.Contains("System.Collections.Hashtable", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConvertTo-Json", error.Message, StringComparison.Ordinal);
        Assert.Contains("Accepted: $null, string, bool", error.Message, StringComparison.Ordinal);
        Assert.Equal(engine == IntegrationType.PostgreSQL, error.Message.Contains("an array of one of these", StringComparison.Ordinal));
        Assert.Contains("System.Collections.Generic.Dictionary`2", Refused(engine, new Dictionary<string, int>()).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public void SecureString_IsNeverSent(IntegrationType engine)
    {
        using var secret = new SecureString();
        foreach (char c in "hunter2")
        {
            secret.AppendChar(c);
        }

        SecureConnectException error = Refused(engine, secret, "@pw");
        Assert.Contains("System.Security.SecureString", error.Message, StringComparison.Ordinal);
        Assert.Contains("secret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllEngines))]
    public void OtherTypes_AreRefused_NamingTheType(IntegrationType engine)
    {
        Assert.Contains("System.Uri", Refused(engine, new Uri("https://example.invalid/")).Message, StringComparison.Ordinal);
        Assert.Contains("System.Version", Refused(engine, new Version(1, 2)).Message, StringComparison.Ordinal);
        Assert.Contains("System.Object", Refused(engine, new object()).Message, StringComparison.Ordinal);
    }
}
