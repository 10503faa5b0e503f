using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SecureConnect.Common;

namespace SecureConnect.Workspace;

/// <summary>
/// Reading values out of workspace.json strictly. A person may have edited the file: a value that does not read as
/// what it must be is an error naming the file, the JSON path and the value found, never a weaker default in its
/// place (a misspelled SSL minimum must not mean "no minimum").
/// </summary>
internal static class SettingsJson
{
    private const int MaxShownLength = 80;

    private static readonly Regex s_identifier = new("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);

    private static readonly JsonSerializerOptions s_show = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>WorkspaceCorrupt for the value <paramref name="found"/> at <paramref name="jsonPath"/>.</summary>
    public static SecureConnectException Corrupt(string file, string jsonPath, JsonNode? found, string expected, Exception? inner = null) => new(
        ErrorIds.WorkspaceCorrupt,
        ErrorKind.InvalidData,
        $"The workspace settings file '{file}' has {Show(found)} at {jsonPath}, which is not {expected}. " +
        "Fix or remove that value; SecureConnect will neither read it as something weaker nor overwrite the file.",
        file,
        inner);

    /// <summary>The JSON path of a member: <c>$.a.b</c>, or <c>$.a['b.c']</c> for a name that is not an identifier.</summary>
    public static string Member(string parent, string name) =>
        s_identifier.IsMatch(name) ? $"{parent}.{name}" : $"{parent}['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";

    /// <summary>
    /// The value of <paramref name="name"/> in <paramref name="parent"/>, matched regardless of case (a hand-written
    /// "SslMode" must count, not be skipped), with the key as written; two spellings of one name are corrupt.
    /// </summary>
    public static (string Key, JsonNode? Value)? Find(JsonObject parent, string name, string file, string parentPath)
    {
        var matches = parent.Where(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count > 1)
        {
            throw Corrupt(file, Member(parentPath, matches[1].Key), matches[1].Value, $"a second spelling of '{matches[0].Key}'");
        }

        return matches.Count == 0 ? null : (matches[0].Key, matches[0].Value);
    }

    /// <summary>
    /// An SSL mode as stored: a mode's name or "Strict" (the documented alias of VerifyFull), any case; null when the
    /// value is absent or JSON null. Numbers, numeric text and anything else are corrupt.
    /// </summary>
    public static SslMode? ReadSslMode(JsonNode? node, string file, string jsonPath)
    {
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            string text = value.GetValue<string>().Trim();
            if (string.Equals(text, "Strict", StringComparison.OrdinalIgnoreCase))
            {
                return SslMode.VerifyFull;
            }

            // Enum.TryParse would also take "3", "99" and "Preferred, VerifyFull": only the names are modes.
            foreach (SslMode mode in Enum.GetValues<SslMode>())
            {
                if (string.Equals(text, mode.ToString(), StringComparison.OrdinalIgnoreCase))
                {
                    return mode;
                }
            }
        }

        throw Corrupt(file, jsonPath, node, "an SSL mode (Preferred, Required, VerifyCA, VerifyFull or Strict)");
    }

    /// <summary>
    /// WorkspaceCorrupt when an object names a member twice (exactly; two spellings are <see cref="Find"/>'s case). JsonNode
    /// keeps both and fails only when a reader first enumerates the object, with an ArgumentException; and which of the
    /// two counts is not something to guess in a security setting. A JsonException for text that is not JSON is left to
    /// the caller's parse.
    /// </summary>
    public static void RequireUniqueNames(byte[] utf8, string file)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var objects = new Stack<(HashSet<string>? Names, string Path)>();
        string? member = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    string path = objects.Count == 0 ? "$" : member is null ? objects.Peek().Path + "[]" : Member(objects.Peek().Path, member);
                    objects.Push((reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null, path));
                    member = null;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    objects.Pop();
                    member = null;
                    break;
                case JsonTokenType.PropertyName:
                    member = reader.GetString()!;
                    (HashSet<string>? names, string parent) = objects.Peek();
                    if (!names!.Add(member))
                    {
                        throw new SecureConnectException(
                            ErrorIds.WorkspaceCorrupt,
                            ErrorKind.InvalidData,
                            $"The workspace settings file '{file}' has {Member(parent, member)} twice. Keep one of the two values; SecureConnect will not choose one nor overwrite the file.",
                            file);
                    }

                    break;
                default:
                    member = null;
                    break;
            }
        }
    }

    /// <summary>The value as JSON text, shortened for a message.</summary>
    public static string Show(JsonNode? node)
    {
        string text = node is null ? "null" : node.ToJsonString(s_show);
        return text.Length > MaxShownLength ? text[..(MaxShownLength - 3)] + "..." : text;
    }
}
