// One Hummingbird 2 app, served over HTTP/2 (ALPN h2, HTTP/1.1 fallback) by one of:
//   autocert-openssl, autocert-gnutls: AutocertHummingbird's channel (our TLS handler first)
//   niossl: Hummingbird's HTTP2UpgradeChannel over NIOSSL (BoringSSL)
// on one event loop thread, the same certificate and key, the same route.
//
//   h2-bench-server TLS PORT CHAIN.pem KEY.pem
import AutocertGnuTLS
import AutocertHummingbird
import AutocertOpenSSL
import AutocertTLS
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import NIOCore
import NIOPosix
import NIOSSL

let arguments = CommandLine.arguments
guard arguments.count == 5, let port = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: h2-bench-server autocert-openssl|autocert-gnutls|niossl PORT CHAIN.pem KEY.pem\n".utf8))
    exit(2)
}
let chainPEM = try String(contentsOfFile: arguments[3], encoding: .utf8)
let keyPEM = try String(contentsOfFile: arguments[4], encoding: .utf8)

let router = Router()
router.get("/") { _, _ in "hello\n" }

let server: HTTPServerBuilder
switch arguments[1] {
case "autocert-openssl", "autocert-gnutls":
    var selector = StaticCertificateSelector()
    selector.add(try CertifiedKey(chainPEM: chainPEM, privateKeyPEM: keyPEM), for: ["bench.test"])
    let configuration = TLSServerConfiguration(applicationProtocols: AutocertHTTPChannel.applicationProtocols)
    let backend: any TLSBackend = arguments[1] == "autocert-openssl"
        ? OpenSSLBackend(configuration: configuration) : try GnuTLSBackend(configuration: configuration)
    server = .autocert(backend: backend, selector: selector)
case "niossl":
    let tls = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8)).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)))
    server = try .http2Upgrade(tlsConfiguration: tls)
default:
    FileHandle.standardError.write(Data("unknown TLS \(arguments[1])\n".utf8))
    exit(2)
}

let app = Application(
    router: router, server: server,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "h2-bench"),
    eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup(numberOfThreads: 1)))
try await app.runService()
