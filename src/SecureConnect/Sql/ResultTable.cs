using System.Data;
using System.Data.Common;
using System.Linq;

namespace SecureConnect.Sql;

/// <summary>One result set as a DataTable that holds exactly the rows that came, with no constraints.</summary>
internal static class ResultTable
{
    /// <summary>Reads the reader's current result set; <paramref name="rows"/> counts the rows read.</summary>
    public static DataTable Load(DbDataReader reader, ref long rows)
    {
        string[] names = ColumnNames.Unique(Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
        var table = new DataTable();
        for (int i = 0; i < names.Length; i++)
        {
            table.Columns.Add(names[i], SqlValues.NormalizeType(reader.GetFieldType(i)));
        }

        var values = new object[names.Length];
        table.BeginLoadData();
        while (reader.Read())
        {
            reader.GetValues(values);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = SqlValues.Normalize(values[i])!;
            }

            table.Rows.Add(values);
            rows++;
        }

        table.EndLoadData();
        return table;
    }
}
