// The composition root: the one place that lists the plugins linked into `souk`.
import Foundation
import Kernel
import SoukCLI

signal(SIGPIPE, SIG_IGN)
let builtInPlugins: [any Plugin] = []
exit(CLI(plugins: builtInPlugins).run(Array(CommandLine.arguments.dropFirst())))
