// One HTTP/1.1 server for the kept-alive benchmark, on one event loop thread, 127.0.0.1:
//   autocert-openssl, autocert-gnutls: Autocert's TLS handler first in the pipeline
//   niossl: NIOSSLServerHandler first in the pipeline
//   plain: no TLS
// then SwiftNIO's HTTP server pipeline and HelloHandler, the same for all.
//
//   keptalive-bench-server autocert-openssl|autocert-gnutls|niossl|plain PORT [CHAIN.pem KEY.pem]
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

let arguments = CommandLine.arguments
let usage = "usage: keptalive-bench-server \(ServerTLS.allCases.map(\.rawValue).joined(separator: "|")) PORT [CHAIN.pem KEY.pem]\n"
guard arguments.count >= 3, let tls = ServerTLS(rawValue: arguments[1]), let port = Int(arguments[2]),
      arguments.count == (tls == .plain ? 3 : 5) else {
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}
let makeTLSHandler = tls == .plain ? nil
    : try tls.handlerFactory(chainPEM: String(contentsOfFile: arguments[3], encoding: .utf8),
                             keyPEM: String(contentsOfFile: arguments[4], encoding: .utf8))

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try await ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            if let makeTLSHandler { try channel.pipeline.syncOperations.addHandler(try makeTLSHandler()) }
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(HelloHandler())
        }
    }
    .bind(host: "127.0.0.1", port: port).get()
FileHandle.standardError.write(Data("keptalive-bench-server \(tls.rawValue) listening on 127.0.0.1:\(port)\n".utf8))
try await channel.closeFuture.get()
