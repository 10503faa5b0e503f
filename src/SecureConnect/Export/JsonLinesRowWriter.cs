using System;
using System.Buffers;
using System.Collections;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Numerics;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SecureConnect.Export;

/// <summary>
/// Writes one JSON object per row and line (UTF-8 without a byte order mark, "\n" after each): properties in column
/// order, NULL as null, numbers as numbers, dates and times as ISO 8601 round-trip text, binary as base64, nested
/// documents (PSObjects, dictionaries) as objects and lists as arrays.
/// </summary>
internal sealed class JsonLinesRowWriter : IRowWriter
{
    private const int FlushAt = 1 << 16;
    private const int MaxDepth = 64;

    private static readonly JsonWriterOptions s_options = new()
    {
        // A file, not HTML: non-ASCII text stays readable; quotes, backslashes and control characters are escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    private readonly Stream _stream;
    private readonly ArrayBufferWriter<byte> _buffer = new(FlushAt * 2);
    private readonly Utf8JsonWriter _json;

    public JsonLinesRowWriter(Stream stream)
    {
        _stream = stream;
        _json = new Utf8JsonWriter(_buffer, s_options);
    }

    public long Rows { get; private set; }

    public void Row(string[] names, object?[] values)
    {
        _json.Reset(_buffer);
        _json.WriteStartObject();
        for (int i = 0; i < names.Length; i++)
        {
            _json.WritePropertyName(names[i]);
            WriteValue(values[i], 0);
        }

        _json.WriteEndObject();
        _json.Flush();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        Rows++;
        if (_buffer.WrittenCount >= FlushAt)
        {
            Drain();
        }
    }

    public void Finish() => Drain();

    public void Dispose() => _json.Dispose();

    private void Drain()
    {
        _stream.Write(_buffer.WrittenSpan);
        _buffer.Clear();
    }

    private void WriteValue(object? value, int depth)
    {
        switch (value)
        {
            case null:
                _json.WriteNullValue();
                return;
            case string text:
                _json.WriteStringValue(text);
                return;
            case bool flag:
                _json.WriteBooleanValue(flag);
                return;
            case int or long or short or sbyte or byte or ushort or uint:
                _json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                return;
            case ulong big:
                _json.WriteNumberValue(big);
                return;
            case decimal number:
                _json.WriteNumberValue(number);
                return;
            case double real when double.IsFinite(real):
                _json.WriteNumberValue(real);
                return;
            case float single when float.IsFinite(single):
                _json.WriteNumberValue(single);
                return;
            case double or float:
                // JSON has no NaN or infinity: those are written as the text .NET gives them ("NaN", "Infinity").
                _json.WriteStringValue(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                return;
            case BigInteger integer:
                _json.WriteRawValue(integer.ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
                return;
            case DateTime moment:
                _json.WriteStringValue(moment.ToString("O", CultureInfo.InvariantCulture));
                return;
            case DateTimeOffset at:
                _json.WriteStringValue(at.ToString("O", CultureInfo.InvariantCulture));
                return;
            case DateOnly day:
                _json.WriteStringValue(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                return;
            case TimeOnly time:
                _json.WriteStringValue(time.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
                return;
            case TimeSpan span:
                _json.WriteStringValue(span.ToString("c", CultureInfo.InvariantCulture));
                return;
            case Guid id:
                _json.WriteStringValue(id);
                return;
            case char ch:
                _json.WriteStringValue(ch.ToString());
                return;
            case byte[] bytes:
                _json.WriteBase64StringValue(bytes);
                return;
            case Enum named:
                _json.WriteStringValue(named.ToString());
                return;
        }

        if (depth >= MaxDepth)
        {
            _json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
            return;
        }

        switch (value)
        {
            case PSObject { BaseObject: PSCustomObject } document:
                _json.WriteStartObject();
                foreach (PSPropertyInfo property in document.Properties)
                {
                    _json.WritePropertyName(property.Name);
                    WriteValue(property.Value, depth + 1);
                }

                _json.WriteEndObject();
                return;
            case PSObject wrapped:
                WriteValue(wrapped.BaseObject, depth);
                return;
            case IDictionary map:
                _json.WriteStartObject();
                foreach (DictionaryEntry entry in map)
                {
                    _json.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty);
                    WriteValue(entry.Value, depth + 1);
                }

                _json.WriteEndObject();
                return;
            case IEnumerable list:
                _json.WriteStartArray();
                foreach (object? item in list)
                {
                    WriteValue(item, depth + 1);
                }

                _json.WriteEndArray();
                return;
            default:
                _json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
        }
    }
}
