// The composition root: the one place that lists the plugins linked into `souk`.
import Foundation
import Kernel
import SoukCLI
import Catalog
import Customers
import Orders
import Payment
import Shipping
import Inventory

signal(SIGPIPE, SIG_IGN)
let builtInPlugins: [any Plugin] = [
    CatalogPlugin(), CustomersPlugin(), OrdersPlugin(), PaymentPlugin(), ShippingPlugin(), InventoryPlugin(),
]
exit(CLI(plugins: builtInPlugins).run(Array(CommandLine.arguments.dropFirst())))
