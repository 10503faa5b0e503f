using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using SecureConnect.Export;
using Xunit;

namespace SecureConnect.Tests.Export;

/// <summary>JSON Lines: one object per row and line, types kept, UTF-8 without a byte order mark, "\n" endings.</summary>
public sealed class JsonLinesRowWriterTests
{
    [Fact]
    public void MixedRows_AreOneTypedObjectPerLine()
    {
        var rows = ExportRows.Mixed();
        byte[] bytes = Write(rows);

        Assert.False(bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble), "no byte order mark");
        
        string text = Encoding.UTF8.GetString(bytes);
        Assert.EndsWith("}\n", text);
        // Text outside ASCII stays as UTF-8 (only characters beyond the BMP, such as emoji, are \u escapes, as System.Text.Json writes them).
        Assert.Contains("Zürich – 東京 ", text);
        string[] lines = text[..^1].Split('\n');
        Assert.Equal(3, lines.Length);

        using JsonDocument first = JsonDocument.Parse(lines[0]);
        JsonElement row = first.RootElement;
        Assert.Equal(ExportRows.Names, row.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, row.GetProperty("id").GetInt32());
        Assert.Equal("He said \"hi\", then left; twice\nand again\r\nend\r", row.GetProperty("text").GetString());
        Assert.Equal(string.Empty, row.GetProperty("empty").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("missing").ValueKind);
        Assert.Equal("12.50", row.GetProperty("amount").GetRawText());
        Assert.Equal(-0.0001m, row.GetProperty("tiny").GetDecimal());
        Assert.Equal(1.5e-7, row.GetProperty("ratio").GetDouble());
        Assert.Equal(3.25, row.GetProperty("single").GetDouble());
        Assert.Equal(long.MaxValue, row.GetProperty("big").GetInt64());
        Assert.Equal("2024-03-10T08:15:00.0000000Z", row.GetProperty("at_utc").GetString());
        Assert.Equal("2024-12-31T23:59:59.9991234", row.GetProperty("at_local").GetString());
        Assert.Equal("2024-03-10T10:15:00.0000000+02:00", row.GetProperty("at_offset").GetString());
        Assert.Equal(new DateTimeOffset(2024, 3, 10, 10, 15, 0, TimeSpan.FromHours(2)), row.GetProperty("at_offset").GetDateTimeOffset());
        Assert.True(row.GetProperty("yes").GetBoolean());
        Assert.False(row.GetProperty("no").GetBoolean());
        Assert.Equal("[1,2,3]", row.GetProperty("ints").GetRawText());
        Assert.Equal("[\"a\",null]", row.GetProperty("objects").GetRawText());
        Assert.Equal(Convert.ToBase64String(new byte[] { 1, 2, 255 }), row.GetProperty("bytes").GetString());
        Assert.Equal("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", row.GetProperty("guid").GetString());
        Assert.Equal("01:30:30", row.GetProperty("span").GetString());
        Assert.Equal("{\"city\":\"Bern\",\"zip\":3000}", row.GetProperty("nested").GetRawText());
        Assert.Equal("Zürich – 東京 🎉", row.GetProperty("unicode").GetString());

        using JsonDocument second = JsonDocument.Parse(lines[1]);
        Assert.Equal("NaN", second.RootElement.GetProperty("ratio").GetString());
        Assert.Equal("Infinity", second.RootElement.GetProperty("single").GetString());
        Assert.Equal("\"", second.RootElement.GetProperty("unicode").GetString());

        // A document keeps its own fields, in its own order.
        using JsonDocument third = JsonDocument.Parse(lines[2]);
        Assert.Equal(new[] { "unicode", "id", "text", "extra" }, third.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void ManyRows_AreAllWrittenAcrossBufferFlushes()
    {
        string[] names = { "n", "pad" };
        var rows = Enumerable.Range(0, 20000).Select(i => (names, new object?[] { i, new string('x', i % 50) })).ToList();

        string[] lines = Encoding.UTF8.GetString(Write(rows)).TrimEnd('\n').Split('\n');

        Assert.Equal(20000, lines.Length);
        Assert.Equal(Enumerable.Range(0, 20000), lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("n").GetInt32()));
    }

    private static byte[] Write(System.Collections.Generic.List<(string[] Names, object?[] Values)> rows)
    {
        using var stream = new MemoryStream();
        using (var writer = new JsonLinesRowWriter(stream))
        {
            foreach ((string[] names, object?[] values) in rows)
            {
                writer.Row(names, values);
            }

            writer.Finish();
            Assert.Equal(rows.Count, writer.Rows);
        }

        return stream.ToArray();
    }
}
