// Verifier of Signet's artefacts with Java's PKIX (SUN) and BouncyCastle (Debian's
// libbcprov-java / libbcpkix-java), and BouncyCastle as the maker of what Signet
// must accept in turn (op "sign"). Tasks come one per line on stdin as
// "id<TAB>op<TAB>key=value<TAB>..."; the answer is one line per task,
// "id<TAB>ok|fail<TAB>detail". Compiled once per test run and fed a batch.
import java.io.*;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.util.*;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.*;
import org.bouncycastle.cms.*;
import org.bouncycastle.cms.jcajce.*;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.tsp.*;
import org.bouncycastle.util.Store;

public class Verify {
  static final CertificateFactory FACTORY;
  /** BouncyCastle's own factory: its keys know the SM2 curve, the JDK's do not. */
  static final CertificateFactory BC_FACTORY;
  static {
    Security.addProvider(new BouncyCastleProvider());
    try {
      FACTORY = CertificateFactory.getInstance("X.509");
      BC_FACTORY = CertificateFactory.getInstance("X.509", "BC");
    } catch (Exception e) { throw new RuntimeException(e); }
  }

  static byte[] bytes(String path) throws IOException {
    byte[] data = Files.readAllBytes(Paths.get(path));
    String text = new String(data, "ISO-8859-1");
    if (text.startsWith("-----BEGIN")) {
      String body = text.replaceAll("-----[^-]+-----", "").replaceAll("\\s", "");
      return Base64.getDecoder().decode(body);
    }
    return data;
  }

  static X509Certificate cert(String path) throws Exception {
    return cert(path, FACTORY);
  }

  static X509Certificate cert(String path, CertificateFactory factory) throws Exception {
    return (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(bytes(path)));
  }

  static List<String> list(Map<String, String> a, String key) {
    String v = a.get(key);
    return v == null || v.isEmpty() ? List.of() : Arrays.asList(v.split(","));
  }

  /**
   * PKIX path validation (RFC 5280 §6.1), revocation off, with explicit policy when asked.
   * With provider BC the certificates are read by BouncyCastle too (SM2: SM3withSM2 with the
   * default ID 1234567812345678, GM/T 0009 §10), so the whole path is BouncyCastle's.
   */
  static String pkix(Map<String, String> a, String provider) throws Exception {
    CertificateFactory factory = provider == null ? FACTORY : BC_FACTORY;
    Set<TrustAnchor> anchors = new HashSet<>();
    for (String r : list(a, "roots")) anchors.add(new TrustAnchor(cert(r, factory), null));
    List<X509Certificate> path = new ArrayList<>();
    path.add(cert(a.get("leaf"), factory));
    for (String i : list(a, "intermediates")) path.add(cert(i, factory));
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    if (a.containsKey("policy")) {
      params.setExplicitPolicyRequired(true);
      params.setInitialPolicies(new HashSet<>(list(a, "policy")));
    }
    CertPath certPath = factory.generateCertPath(path);
    CertPathValidator validator = provider == null ? CertPathValidator.getInstance("PKIX") : CertPathValidator.getInstance("PKIX", provider);
    PKIXCertPathValidatorResult result = (PKIXCertPathValidatorResult) validator.validate(certPath, params);
    return "policy tree " + (result.getPolicyTree() == null ? "null" : result.getPolicyTree().getValidPolicy() + " -> " + children(result.getPolicyTree()));
  }

  /**
   * PKIX path building and validation with revocation from the given CRLs (RFC 5280 §6.1, §6.3),
   * at a given time (epoch ms): how the PKITS cases are judged by Java's own provider.
   */
  static String pkixBuild(Map<String, String> a) throws Exception {
    Set<TrustAnchor> anchors = new HashSet<>();
    for (String r : list(a, "roots")) anchors.add(new TrustAnchor(cert(r), null));
    List<Object> material = new ArrayList<>();
    X509Certificate leaf = cert(a.get("leaf"));
    material.add(leaf);
    for (String i : list(a, "intermediates")) material.add(cert(i));
    for (String c : list(a, "crls")) material.add(FACTORY.generateCRL(new ByteArrayInputStream(bytes(c))));
    X509CertSelector target = new X509CertSelector();
    target.setCertificate(leaf);
    PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
    params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(material)));
    params.setRevocationEnabled(true);
    params.setDate(new Date(Long.parseLong(a.get("at"))));
    PKIXCertPathBuilderResult result = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
    return "path of " + result.getCertPath().getCertificates().size();
  }

  static String children(PolicyNode node) {
    StringBuilder out = new StringBuilder();
    Iterator<? extends PolicyNode> it = node.getChildren();
    while (it.hasNext()) {
      PolicyNode child = it.next();
      out.append(child.getValidPolicy()).append(' ').append(children(child));
    }
    return out.toString().trim();
  }

  /** The factory a task asks for: provider=BC reads certificates and CRLs with BouncyCastle (SM2). */
  static CertificateFactory factory(Map<String, String> a) {
    return "BC".equals(a.get("provider")) ? BC_FACTORY : FACTORY;
  }

  static String crl(Map<String, String> a) throws Exception {
    X509CRL crl = (X509CRL) factory(a).generateCRL(new ByteArrayInputStream(bytes(a.get("file"))));
    crl.verify(cert(a.get("issuer"), factory(a)).getPublicKey());
    Set<?> revoked = crl.getRevokedCertificates();
    return "CRL of " + (revoked == null ? 0 : revoked.size()) + " entries";
  }

  static String ocsp(Map<String, String> a) throws Exception {
    OCSPResp response = new OCSPResp(bytes(a.get("file")));
    if (response.getStatus() != 0) throw new Exception("responseStatus " + response.getStatus());
    BasicOCSPResp basic = (BasicOCSPResp) response.getResponseObject();
    X509Certificate issuer = cert(a.get("issuer"), factory(a));
    X509CertificateHolder[] certs = basic.getCerts();
    PublicKey key = issuer.getPublicKey();
    if (certs.length > 0) {
      org.bouncycastle.cert.jcajce.JcaX509CertificateConverter converter = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter();
      if ("BC".equals(a.get("provider"))) converter.setProvider("BC");
      X509Certificate responder = converter.getCertificate(certs[0]);
      responder.verify(issuer.getPublicKey());
      key = responder.getPublicKey();
    }
    if (!basic.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider("BC").build(key))) throw new Exception("OCSP signature invalid");
    Object status = basic.getResponses()[0].getCertStatus();
    return status == null ? "good" : status.getClass().getSimpleName();
  }

  static int verifySigners(CMSSignedData data) throws Exception {
    Store<X509CertificateHolder> certs = data.getCertificates();
    int verified = 0;
    for (SignerInformation signer : data.getSignerInfos().getSigners()) {
      @SuppressWarnings("unchecked")
      Collection<X509CertificateHolder> matches = certs.getMatches(signer.getSID());
      if (matches.isEmpty()) throw new Exception("signer certificate not in the SignedData");
      X509CertificateHolder holder = matches.iterator().next();
      if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(holder))) throw new Exception("signature invalid");
      verified++;
    }
    return verified;
  }

  static String cms(Map<String, String> a) throws Exception {
    CMSSignedData data = a.containsKey("content")
        ? new CMSSignedData(new CMSProcessableByteArray(bytes(a.get("content"))), bytes(a.get("file")))
        : new CMSSignedData(bytes(a.get("file")));
    return verifySigners(data) + " signer(s) verified";
  }

  static String tsp(Map<String, String> a) throws Exception {
    byte[] data = bytes(a.get("file"));
    TimeStampToken token;
    try { token = new TimeStampResponse(data).getTimeStampToken(); } catch (Exception e) { token = new TimeStampToken(new CMSSignedData(data)); }
    if (token == null) throw new Exception("no token in the response");
    // The certificate as BouncyCastle reads it: the JDK's factory knows no SM2 curve.
    X509CertificateHolder tsa = new X509CertificateHolder(bytes(a.get("tsa")).length > 0 && bytes(a.get("tsa"))[0] == 0x30
        ? bytes(a.get("tsa")) : cert(a.get("tsa")).getEncoded());
    token.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(tsa));
    return "token " + token.getTimeStampInfo().getSerialNumber().toString(16) + " at " + token.getTimeStampInfo().getGenTime().toInstant();
  }

  static String p12(Map<String, String> a) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(new ByteArrayInputStream(bytes(a.get("file"))), a.get("password").toCharArray());
    String alias = Collections.list(store.aliases()).get(0);
    Key key = store.getKey(alias, a.get("password").toCharArray());
    if (key == null) throw new Exception("no key");
    return key.getAlgorithm() + " key, chain of " + store.getCertificateChain(alias).length;
  }

  static String enveloped(Map<String, String> a) throws Exception {
    CMSEnvelopedData data = new CMSEnvelopedData(bytes(a.get("file")));
    byte[] pkcs8 = bytes(a.get("key"));
    PrivateKey key = null;
    for (String alg : new String[] {"RSA", "EC"}) {
      try { key = KeyFactory.getInstance(alg).generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pkcs8)); break; } catch (Exception e) { }
    }
    RecipientInformation recipient = data.getRecipientInfos().getRecipients().iterator().next();
    Recipient r = key.getAlgorithm().equals("RSA") ? new JceKeyTransEnvelopedRecipient(key).setProvider("BC") : new JceKeyAgreeEnvelopedRecipient(key).setProvider("BC");
    byte[] content = recipient.getContent(r);
    if (a.containsKey("content") && !Arrays.equals(content, bytes(a.get("content")))) throw new Exception("content differs");
    return content.length + " octets decrypted";
  }

  /**
   * BouncyCastle as a signer: a SignedData over "content" by key/cert (SHA-256, the key's
   * own signature algorithm), carrying the "chain" certificates and the "crls" as
   * RevocationInfoChoice crl (RFC 5652 §10.2.1), attached unless detached=true; BER as
   * BouncyCastle writes it. Written to "out".
   */
  static String sign(Map<String, String> a) throws Exception {
    X509Certificate signer = cert(a.get("cert"), BC_FACTORY);
    byte[] pkcs8 = bytes(a.get("key"));
    PrivateKey key = null;
    for (String alg : new String[] {"EC", "RSA"}) {
      try { key = KeyFactory.getInstance(alg, "BC").generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pkcs8)); break; } catch (Exception e) { }
    }
    if (key == null) throw new Exception("key is neither EC nor RSA");
    String algorithm = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
    generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().setProvider("BC").build())
        .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(algorithm).setProvider("BC").build(key), signer));
    List<X509Certificate> certs = new ArrayList<>();
    certs.add(signer);
    for (String c : list(a, "chain")) certs.add(cert(c, BC_FACTORY));
    generator.addCertificates(new org.bouncycastle.cert.jcajce.JcaCertStore(certs));
    for (String c : list(a, "crls")) generator.addCRL(new org.bouncycastle.cert.X509CRLHolder(bytes(c)));
    CMSSignedData signed = generator.generate(new CMSProcessableByteArray(bytes(a.get("content"))), !"true".equals(a.get("detached")));
    Files.write(Paths.get(a.get("out")), signed.getEncoded());
    return "signed with " + list(a, "crls").size() + " CRL(s)";
  }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) continue;
      String[] fields = line.split("\t");
      Map<String, String> a = new HashMap<>();
      for (int i = 2; i < fields.length; i++) {
        int eq = fields[i].indexOf('=');
        a.put(fields[i].substring(0, eq), fields[i].substring(eq + 1));
      }
      String detail;
      boolean ok = true;
      try {
        switch (fields[1]) {
          case "pkix": detail = pkix(a, null); break;
          case "bcpkix": detail = pkix(a, "BC"); break;
          case "pkixbuild": detail = pkixBuild(a); break;
          case "crl": detail = crl(a); break;
          case "ocsp": detail = ocsp(a); break;
          case "cms": detail = cms(a); break;
          case "tsp": detail = tsp(a); break;
          case "p12": detail = p12(a); break;
          case "enveloped": detail = enveloped(a); break;
          case "sign": detail = sign(a); break;
          default: throw new Exception("unknown op " + fields[1]);
        }
      } catch (Throwable e) {
        ok = false;
        detail = e.toString();
      }
      System.out.println(fields[0] + "\t" + (ok ? "ok" : "fail") + "\t" + detail.replace('\n', ' ').replace('\t', ' '));
    }
  }
}
