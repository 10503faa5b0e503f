using System.Collections.Generic;
using System.Linq;

namespace SecureConnect.Sql;

/// <summary>The provider for each engine.</summary>
internal static class SqlProviders
{
    private static readonly ISqlProvider[] s_all = { new NpgsqlProvider(), new MySqlProvider(), new SqlServerProvider() };

    public static IReadOnlyList<ISqlProvider> All => s_all;

    public static ISqlProvider For(IntegrationType type) => s_all.First(p => p.Types.Contains(type));
}
